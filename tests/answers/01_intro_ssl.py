"""Answer variants for notebook 01, keyed by the grade id of the solution cell.

WRONG: typical mistakes; each must lose that exercise's points.
CORRECT: right answers written differently from the reference; each must get full marks.
"""

WRONG = {
    "rotation_dataset": {
        "turns clockwise": '''
def make_rotation_dataset(images):
    n = len(images)
    x = np.concatenate([np.rot90(images, -k, axes=(1, 2)).reshape(n, -1) for k in range(4)])
    return x.astype(np.float32), np.repeat(np.arange(4), n).astype(np.int64)
''',
        "labels not aligned with rows": '''
def make_rotation_dataset(images):
    rows = [np.rot90(image, k).ravel() for image in images for k in range(4)]
    labels = np.repeat(np.arange(4), len(images))  # rows are image-major, labels rotation-major
    return np.array(rows, dtype=np.float32), labels.astype(np.int64)
''',
        "only three rotations": '''
def make_rotation_dataset(images):
    n = len(images)
    x = np.concatenate([np.rot90(images, k, axes=(1, 2)).reshape(n, -1) for k in range(3)])
    return x.astype(np.float32), np.repeat(np.arange(3), n).astype(np.int64)
''',
    },
    "softmax_cross_entropy": {
        "gradient not divided by N": '''
def softmax_cross_entropy(logits, labels):
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    n = len(labels)
    return float(-np.log(p[np.arange(n), labels]).mean()), p - np.eye(logits.shape[1])[labels]
''',
        "no max subtraction (overflows)": '''
def softmax_cross_entropy(logits, labels):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    n = len(labels)
    return float(-np.log(p[np.arange(n), labels]).mean()), (p - np.eye(logits.shape[1])[labels]) / n
''',
        "gradient with the wrong sign": '''
def softmax_cross_entropy(logits, labels):
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    n = len(labels)
    return float(-np.log(p[np.arange(n), labels]).mean()), (np.eye(logits.shape[1])[labels] - p) / n
''',
    },
    "two_layer_backward": {
        "derivative of tanh taken as 1 - h": '''
def backward(params, cache, grad_logits):
    x, hidden = cache
    grad_pre = (grad_logits @ params["W2"].T) * (1.0 - hidden)
    return {"W2": hidden.T @ grad_logits, "b2": grad_logits.sum(axis=0),
            "W1": x.T @ grad_pre, "b1": grad_pre.sum(axis=0)}
''',
        "bias gradients averaged instead of summed": '''
def backward(params, cache, grad_logits):
    x, hidden = cache
    grad_pre = (grad_logits @ params["W2"].T) * (1.0 - hidden ** 2)
    return {"W2": hidden.T @ grad_logits, "b2": grad_logits.mean(axis=0),
            "W1": x.T @ grad_pre, "b1": grad_pre.mean(axis=0)}
''',
        "tanh derivative skipped": '''
def backward(params, cache, grad_logits):
    x, hidden = cache
    grad_pre = grad_logits @ params["W2"].T
    return {"W2": hidden.T @ grad_logits, "b2": grad_logits.sum(axis=0),
            "W1": x.T @ grad_pre, "b1": grad_pre.sum(axis=0)}
''',
    },
    "autoencoder": {
        "decoder without a sigmoid": '''
class Autoencoder(nn.Module):
    def __init__(self, latent_dim=32):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 128), nn.ReLU(), nn.Linear(128, 784))

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).view(-1, 1, 28, 28)
''',
        "latent size ignored": '''
class Autoencoder(nn.Module):
    def __init__(self, latent_dim=32):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32))
        self.decoder = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).view(-1, 1, 28, 28)
''',
        "returns flat vectors": '''
class Autoencoder(nn.Module):
    def __init__(self, latent_dim=32):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x))
''',
    },
}

CORRECT = {
    "rotation_dataset": {
        "a loop over images, image-major order": '''
def make_rotation_dataset(images):
    rows, labels = [], []
    for image in images:
        for k in range(4):
            rows.append(np.rot90(image, k).flatten())
            labels.append(k)
    return np.array(rows, dtype=np.float32), np.array(labels, dtype=np.int64)
''',
    },
    "softmax_cross_entropy": {
        "via logsumexp from scipy": '''
from scipy.special import logsumexp, softmax

def softmax_cross_entropy(logits, labels):
    n = len(labels)
    log_p = logits - logsumexp(logits, axis=1, keepdims=True)
    grad = softmax(logits, axis=1)
    grad[np.arange(n), labels] -= 1
    return float(-log_p[np.arange(n), labels].mean()), grad / n
''',
    },
    "two_layer_backward": {
        "einsum and explicit tanh'": '''
def backward(params, cache, grad_logits):
    x, h = cache
    dh = np.einsum("nc,hc->nh", grad_logits, params["W2"])
    da = dh * (1 - np.tanh(np.arctanh(np.clip(h, -1 + 1e-12, 1 - 1e-12))) ** 2)
    return {"W1": np.einsum("nd,nh->dh", x, da), "b1": da.sum(0),
            "W2": np.einsum("nh,nc->hc", h, grad_logits), "b2": grad_logits.sum(0)}
''',
    },
    "autoencoder": {
        "torch.sigmoid and reshape in forward": '''
class Autoencoder(nn.Module):
    def __init__(self, latent_dim=32):
        super().__init__()
        self.enc1, self.enc2 = nn.Linear(784, 128), nn.Linear(128, latent_dim)
        self.dec1, self.dec2 = nn.Linear(latent_dim, 128), nn.Linear(128, 784)

    def encode(self, x):
        return self.enc2(torch.relu(self.enc1(x.reshape(len(x), -1))))

    def forward(self, x):
        return torch.sigmoid(self.dec2(torch.relu(self.dec1(self.encode(x))))).reshape(-1, 1, 28, 28)
''',
    },
}
