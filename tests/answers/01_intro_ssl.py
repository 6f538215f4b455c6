"""Answer variants for notebook 01, keyed by the grade id of the solution cell.

CORRECT: right answers written differently from the reference; each must get full marks.
WRONG: typical mistakes; each must lose that exercise's points.
LAB_UTILS_ONLY: the closest each exercise comes to being solved with the helper package alone
(its functions, or the values its checks expect); each must earn nothing.
"""

# What the visible check must say for each mistake it catches (tests/test_check_catch_rate.py):
# a phrase of its message that names the mistake. At least half of each exercise's WRONG
# variants are listed; the rest are left to the hidden tests.
VISIBLE_CHECK_SAYS = {
    "rotation_dataset": {
        "turns clockwise": "counter-clockwise",
        "np.rot90 on the stack without axes (turns N and H)": "counter-clockwise",
        "a transpose instead of a quarter turn": "counter-clockwise",
        "labels not aligned with rows": "rows with label 0 are the original images",
        "only three rotations": "one flattened row per image and rotation",
        "labels in degrees": "how often each rotation label occurs",
        "int32 labels": "dtype",
        "flattened column by column (order='F')": "rows with label 0 are the original images",
    },
    "softmax_cross_entropy": {
        "gradient not divided by N": "/ N",
        "gradient with the wrong sign": "(softmax - one_hot)",
        "no max subtraction (overflows)": "log-sum-exp",
        "log of the softmax (log 0 for large logits)": "log-sum-exp",
        "softmax over the batch axis": "every class has probability 1/4",
        "logits shifted in place": "not logits -=",
        "the per-row losses instead of their mean": "wrong shape",
    },
    "two_layer_backward": {
        "derivative of tanh taken as 1 - h": "gradient of W1",
        "bias gradients averaged instead of summed": "gradient of b1",
        "tanh derivative skipped": "gradient of W1",
        "tanh applied again: 1 - tanh(h)^2": "gradient of W1",
        "every gradient divided by N again": "gradient of W1",
        "bias gradients that keep the batch axis (1, H)": "the parameter's shape",
        "tanh derivative applied to the cache in place": "writes into its inputs",
    },
    "autoencoder": {
        "decoder without a sigmoid": "end the decoder with a sigmoid",
        "tanh instead of the sigmoid": "end the decoder with a sigmoid",
        "latent size ignored": "latent_dim",
        "returns flat vectors": "reshape the decoder's 784 outputs",
        "ReLU after the code": "no activation after Linear(128, latent_dim)",
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
        "stack on a new axis, then flatten (image-major)": '''
def make_rotation_dataset(images):
    turned = np.stack([np.rot90(images, k, axes=(1, 2)) for k in range(4)], axis=1)  # (N, 4, H, W)
    x = turned.reshape(len(images) * 4, -1).astype(np.float32)
    y = np.tile(np.arange(4), len(images)).astype(np.int64)
    return x, y
''',
        "quarter turns by flip and transpose, labels with np.full": '''
def make_rotation_dataset(images):
    n = len(images)
    turned, current = [], images
    for k in range(4):
        turned.append(current.reshape(n, -1))
        current = np.flip(current, axis=2).transpose(0, 2, 1)   # one more counter-clockwise quarter turn
    labels = np.concatenate([np.full(n, k, dtype=np.int64) for k in range(4)])
    return np.vstack(turned).astype(np.float32), labels
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
        "a loop over rows": '''
def softmax_cross_entropy(logits, labels):
    n, c = logits.shape
    loss, grad = 0.0, np.zeros((n, c))
    for i in range(n):
        z = logits[i] - logits[i].max()
        log_norm = np.log(np.sum(np.exp(z)))
        loss -= (z[labels[i]] - log_norm) / n
        grad[i] = np.exp(z - log_norm)
        grad[i, labels[i]] -= 1.0
    return float(loss), grad / n
''',
        "one-hot matrix and np.logaddexp.reduce": '''
def softmax_cross_entropy(logits, labels):
    n, c = logits.shape
    one_hot = np.eye(c)[labels]
    log_p = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    return float(-(one_hot * log_p).sum() / n), (np.exp(log_p) - one_hot) / n
''',
        "torch autograd in float64": '''
def softmax_cross_entropy(logits, labels):
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    loss = F.cross_entropy(z, torch.as_tensor(labels, dtype=torch.long))
    loss.backward()
    return loss.item(), z.grad.numpy()
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
        "a loop over samples, summing outer products": '''
def backward(params, cache, grad_logits):
    x, hidden = cache
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    for xi, hi, gi in zip(x, hidden, grad_logits):
        grads["W2"] += np.outer(hi, gi)
        grads["b2"] += gi
        delta = (params["W2"] @ gi) * (1 - hi * hi)
        grads["W1"] += np.outer(xi, delta)
        grads["b1"] += delta
    return grads
''',
        "hidden layer recomputed from x and the weights": '''
def backward(params, cache, grad_logits):
    x = cache[0]
    hidden = np.tanh(params["b1"] + x @ params["W1"])
    grad_hidden = np.dot(grad_logits, params["W2"].T)
    grad_pre = grad_hidden / np.cosh(x @ params["W1"] + params["b1"]) ** 2
    return dict(W1=np.dot(x.T, grad_pre), b1=np.sum(grad_pre, axis=0),
                W2=np.dot(hidden.T, grad_logits), b2=np.sum(grad_logits, axis=0))
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
        "nn.Unflatten at the end of the decoder": '''
class Autoencoder(nn.Module):
    def __init__(self, latent_dim=32):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(start_dim=1), nn.Linear(784, 128), nn.ReLU(),
                                     nn.Linear(128, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 128), nn.ReLU(), nn.Linear(128, 784),
                                     nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)))

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x))
''',
        "functional ReLUs and x.view": '''
class Autoencoder(nn.Module):
    def __init__(self, latent_dim=32):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(784, 128), nn.Linear(128, latent_dim),
                                     nn.Linear(latent_dim, 128), nn.Linear(128, 784)])

    def encode(self, x):
        hidden = F.relu(self.layers[0](x.view(x.size(0), -1)))
        return self.layers[1](hidden)

    def forward(self, x):
        hidden = F.relu(self.layers[2](self.encode(x)))
        return torch.sigmoid(self.layers[3](hidden)).view(x.size(0), 1, 28, 28)
''',
    },
}

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
        "labels in degrees": '''
def make_rotation_dataset(images):
    n = len(images)
    x = np.concatenate([np.rot90(images, k, axes=(1, 2)).reshape(n, -1) for k in range(4)])
    return x.astype(np.float32), np.repeat(90 * np.arange(4), n).astype(np.int64)
''',
        "np.rot90 on the stack without axes (turns N and H)": '''
def make_rotation_dataset(images):
    n = len(images)
    x = np.concatenate([np.rot90(images, k).reshape(n, -1) for k in range(4)])
    return x.astype(np.float32), np.repeat(np.arange(4), n).astype(np.int64)
''',
        "a transpose instead of a quarter turn": '''
def make_rotation_dataset(images):
    n = len(images)
    turns = [images, images.transpose(0, 2, 1), images[:, ::-1, ::-1], images[:, ::-1, ::-1].transpose(0, 2, 1)]
    x = np.concatenate([t.reshape(n, -1) for t in turns])
    return x.astype(np.float32), np.repeat(np.arange(4), n).astype(np.int64)
''',
        "int32 labels": '''
def make_rotation_dataset(images):
    n = len(images)
    x = np.concatenate([np.rot90(images, k, axes=(1, 2)).reshape(n, -1) for k in range(4)])
    return x.astype(np.float32), np.repeat(np.arange(4), n).astype(np.int32)
''',
        "notebook 02's given rotate_batch copied as it is": '''
def quarter_turn(images):
    return images.transpose(2, 3).flip(2)


def make_rotation_dataset(images):
    turned = [images]
    for _ in range(3):
        turned.append(quarter_turn(turned[-1]))
    labels = [torch.full((len(images),), turns, dtype=torch.int64, device=images.device)
              for turns in range(4)]
    return torch.cat(turned), torch.cat(labels)
''',
        "flattened column by column (order='F')": '''
def make_rotation_dataset(images):
    rows = [np.rot90(image, k).flatten(order="F") for k in range(4) for image in images]
    return np.array(rows, dtype=np.float32), np.repeat(np.arange(4), len(images)).astype(np.int64)
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
        "log of the softmax (log 0 for large logits)": '''
def softmax_cross_entropy(logits, labels):
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = p / p.sum(axis=1, keepdims=True)
    n = len(labels)
    with np.errstate(divide="ignore"):
        loss = -np.log(p[np.arange(n), labels]).mean()
    return float(loss), (p - np.eye(logits.shape[1])[labels]) / n
''',
        "one maximum for the whole batch": '''
def softmax_cross_entropy(logits, labels):
    shifted = logits - logits.max()
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(labels)
    grad = np.exp(log_p) - np.eye(logits.shape[1])[labels]
    return float(-log_p[np.arange(n), labels].mean()), grad / n
''',
        "softmax over the batch axis": '''
def softmax_cross_entropy(logits, labels):
    shifted = logits - logits.max(axis=0, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    n = len(labels)
    return float(-log_p[np.arange(n), labels].mean()), (np.exp(log_p) - np.eye(logits.shape[1])[labels]) / n
''',
        "logits shifted in place": '''
def softmax_cross_entropy(logits, labels):
    logits -= logits.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    n = len(labels)
    return float(-log_p[np.arange(n), labels].mean()), (np.exp(log_p) - np.eye(logits.shape[1])[labels]) / n
''',
        "the per-row losses instead of their mean": '''
def softmax_cross_entropy(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(labels)
    return -log_p[np.arange(n), labels], (np.exp(log_p) - np.eye(logits.shape[1])[labels]) / n
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
        "tanh applied again: 1 - tanh(h)^2": '''
def backward(params, cache, grad_logits):
    x, hidden = cache
    grad_pre = (grad_logits @ params["W2"].T) * (1.0 - np.tanh(hidden) ** 2)
    return {"W2": hidden.T @ grad_logits, "b2": grad_logits.sum(axis=0),
            "W1": x.T @ grad_pre, "b1": grad_pre.sum(axis=0)}
''',
        "every gradient divided by N again": '''
def backward(params, cache, grad_logits):
    x, hidden = cache
    n = len(x)
    grad_pre = (grad_logits @ params["W2"].T) * (1.0 - hidden ** 2)
    return {"W2": hidden.T @ grad_logits / n, "b2": grad_logits.sum(axis=0) / n,
            "W1": x.T @ grad_pre / n, "b1": grad_pre.sum(axis=0) / n}
''',
        "bias gradients that keep the batch axis (1, H)": '''
def backward(params, cache, grad_logits):
    x, hidden = cache
    grad_pre = (grad_logits @ params["W2"].T) * (1.0 - hidden ** 2)
    return {"W2": hidden.T @ grad_logits, "b2": grad_logits.sum(axis=0, keepdims=True),
            "W1": x.T @ grad_pre, "b1": grad_pre.sum(axis=0, keepdims=True)}
''',
        "tanh derivative applied to the cache in place": '''
def backward(params, cache, grad_logits):
    x, hidden = cache
    hidden_t = hidden.T @ grad_logits
    hidden **= 2
    grad_pre = (grad_logits @ params["W2"].T) * (1.0 - hidden)
    return {"W2": hidden_t, "b2": grad_logits.sum(axis=0), "W1": x.T @ grad_pre, "b1": grad_pre.sum(axis=0)}
''',
    },
    "autoencoder": {
        "pixels clamped to [0, 1] instead of a sigmoid": '''
class Autoencoder(nn.Module):
    def __init__(self, latent_dim=32):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 128), nn.ReLU(), nn.Linear(128, 784))

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).clamp(0, 1).view(-1, 1, 28, 28)
''',
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
        "ReLU after the code": '''
class Autoencoder(nn.Module):
    def __init__(self, latent_dim=32):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, latent_dim),
                                     nn.ReLU())
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).view(-1, 1, 28, 28)
''',
        "forward bypasses the code (a skip connection from the input)": '''
class Autoencoder(nn.Module):
    def __init__(self, latent_dim=32):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 128), nn.ReLU(), nn.Linear(128, 784))

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return torch.sigmoid(self.decoder(self.encode(x)) + x.flatten(1)).view(-1, 1, 28, 28)
''',
        "decoder without its ReLU": '''
class Autoencoder(nn.Module):
    def __init__(self, latent_dim=32):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 128), nn.Linear(128, 784), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).view(-1, 1, 28, 28)
''',
        "encoder layers repeated in forward (not through encode)": '''
class Autoencoder(nn.Module):
    def __init__(self, latent_dim=32):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encoder(x)).view(-1, 1, 28, 28)
''',
        "tanh instead of the sigmoid": '''
class Autoencoder(nn.Module):
    def __init__(self, latent_dim=32):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 128), nn.ReLU(), nn.Linear(128, 784), nn.Tanh())

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).view(-1, 1, 28, 28)
''',
    },
}

LAB_UTILS_ONLY = {
    "rotation_dataset": {
        "lab_utils.extract_features flattens, nothing rotates": '''
def make_rotation_dataset(images):
    flat = lab_utils.extract_features(nn.Flatten(), torch.as_tensor(images)).numpy()
    return np.concatenate([flat] * 4), np.repeat(np.arange(4), len(images)).astype(np.int64)
''',
    },
    "softmax_cross_entropy": {
        "the values lab_utils.checks.intro expects for all-zero logits": '''
from lab_utils.checks import intro   # lab_utils holds no loss; its check shows log(C) and (1/C - one_hot) / N

def softmax_cross_entropy(logits, labels):
    n, c = logits.shape
    return float(np.log(c)), (np.full((n, c), 1 / c) - np.eye(c)[labels]) / n
''',
    },
    "two_layer_backward": {
        "finite differences from lab_utils.checks.intro": '''
from lab_utils.checks.intro import _numeric_gradient

def backward(params, cache, grad_logits):
    x = cache[0]
    loss = lambda: float(np.sum(forward(params, x)[0] * grad_logits))
    return {name: _numeric_gradient(loss, value) for name, value in params.items()}
''',
    },
    "autoencoder": {
        "lab_utils.SmallCNN as the encoder": '''
class Autoencoder(nn.Module):
    def __init__(self, latent_dim=32):
        super().__init__()
        self.encoder = lab_utils.SmallCNN(in_channels=1, widths=(16, 32, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 784), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).view(-1, 1, 28, 28)
''',
    },
}
