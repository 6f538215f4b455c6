"""Answer variants for notebook 05, keyed by the grade id of the solution cell.

WRONG: typical mistakes; each must lose that exercise's points.
CORRECT: right answers written differently from the reference; each must get full marks.
"""

_AUGMENT_OK = {
    "jitter": '''
def jitter(x, sigma, generator):
    return x + sigma * torch.randn(x.shape, generator=generator, device=x.device)
''',
    "scale": '''
def scale(x, sigma, generator):
    return x * (1 + sigma * torch.randn(x.shape[0], x.shape[1], 1, generator=generator, device=x.device))
''',
    "random_crop": '''
def random_crop(x, length, generator):
    n, c, t = x.shape
    starts = torch.randint(0, t - length + 1, (n,), generator=generator, device=x.device)
    index = starts[:, None] + torch.arange(length, device=x.device)
    return x.gather(2, index[:, None, :].expand(n, c, length))
''',
}


def _augment(**replaced: str) -> str:
    """The three augmentations, with some of them replaced by a wrong version."""
    return "".join(replaced.get(name, source) for name, source in _AUGMENT_OK.items())


WRONG = {
    "sequence_autoencoder": {
        "sigmoid at the end of the decoder": '''
class SequenceAutoencoder(nn.Module):
    def __init__(self, length=50, latent_dim=16):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(length, 64), nn.ReLU(), nn.Linear(64, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 64), nn.ReLU(), nn.Linear(64, length), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).reshape(x.shape)
''',
        "latent size fixed at 16": '''
class SequenceAutoencoder(nn.Module):
    def __init__(self, length=50, latent_dim=16):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(length, 64), nn.ReLU(), nn.Linear(64, 16))
        self.decoder = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, length))

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).reshape(x.shape)
''',
        "reconstruction left flat (N, length)": '''
class SequenceAutoencoder(nn.Module):
    def __init__(self, length=50, latent_dim=16):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(length, 64), nn.ReLU(), nn.Linear(64, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 64), nn.ReLU(), nn.Linear(64, length))

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x))
''',
        "ReLU on the output": '''
class SequenceAutoencoder(nn.Module):
    def __init__(self, length=50, latent_dim=16):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(length, 64), nn.ReLU(), nn.Linear(64, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 64), nn.ReLU(), nn.Linear(64, length), nn.ReLU())

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).reshape(x.shape)
''',
    },
    "random_span_mask": {
        "one set of spans for the whole batch": '''
def random_span_mask(n, length, mask_ratio, span, generator):
    k = max(1, round(mask_ratio * length / span))
    starts = torch.randint(0, length - span + 1, (k, 1), generator=generator, device=generator.device)
    steps = torch.arange(length, device=generator.device)
    row = ((steps >= starts) & (steps < starts + span)).any(dim=0)
    return row.expand(n, length).clone()
''',
        "starts never reach length - span": '''
def random_span_mask(n, length, mask_ratio, span, generator):
    k = max(1, round(mask_ratio * length / span))
    starts = torch.randint(0, length - span, (n, k, 1), generator=generator, device=generator.device)
    steps = torch.arange(length, device=generator.device)
    return ((steps >= starts) & (steps < starts + span)).any(dim=1)
''',
        "independent random steps instead of spans": '''
def random_span_mask(n, length, mask_ratio, span, generator):
    return torch.rand(n, length, generator=generator, device=generator.device) < mask_ratio
''',
        "global random generator instead of the argument": '''
def random_span_mask(n, length, mask_ratio, span, generator):
    k = max(1, round(mask_ratio * length / span))
    starts = torch.randint(0, length - span + 1, (n, k, 1))
    steps = torch.arange(length)
    return ((steps >= starts) & (steps < starts + span)).any(dim=1)
''',
        "number of spans truncated with int()": '''
def random_span_mask(n, length, mask_ratio, span, generator):
    k = max(1, int(mask_ratio * length / span))
    starts = torch.randint(0, length - span + 1, (n, k, 1), generator=generator, device=generator.device)
    steps = torch.arange(length, device=generator.device)
    return ((steps >= starts) & (steps < starts + span)).any(dim=1)
''',
    },
    "masked_mse": {
        "mean over every step, masked or not": '''
def masked_mse(prediction, target, mask):
    return ((prediction - target) ** 2).mean()
''',
        "divided by the masked steps, not steps x channels": '''
def masked_mse(prediction, target, mask):
    squared = (prediction - target) ** 2 * mask[:, None, :]
    return squared.sum() / mask.sum()
''',
        "the visible steps instead of the hidden ones": '''
def masked_mse(prediction, target, mask):
    visible = (~mask)[:, None, :].expand_as(target)
    return ((prediction - target)[visible] ** 2).mean()
''',
        "mean of per-series means": '''
def masked_mse(prediction, target, mask):
    squared = ((prediction - target) ** 2 * mask[:, None, :]).sum(dim=(1, 2))
    return (squared / (mask.sum(1) * target.shape[1]).clamp(min=1)).mean()
''',
    },
    "augmentations": {
        "one scaling factor for the whole batch": _augment(scale='''
def scale(x, sigma, generator):
    return x * (1 + sigma * torch.randn(1, generator=generator, device=x.device))
'''),
        "one scaling factor per series, shared by the channels": _augment(scale='''
def scale(x, sigma, generator):
    return x * (1 + sigma * torch.randn(x.shape[0], 1, 1, generator=generator, device=x.device))
'''),
        "the same jitter noise for every series": _augment(jitter='''
def jitter(x, sigma, generator):
    return x + sigma * torch.randn(x.shape[1:], generator=generator, device=x.device)
'''),
        "jitter with variance sigma instead of standard deviation": _augment(jitter='''
def jitter(x, sigma, generator):
    return x + sigma ** 0.5 * torch.randn(x.shape, generator=generator, device=x.device)
'''),
        "one crop window for the whole batch": _augment(random_crop='''
def random_crop(x, length, generator):
    start = int(torch.randint(0, x.shape[-1] - length + 1, (1,), generator=generator))
    return x[:, :, start:start + length]
'''),
        "crop starts never reach T - length": _augment(random_crop='''
def random_crop(x, length, generator):
    n, c, t = x.shape
    starts = torch.randint(0, t - length, (n,), generator=generator, device=x.device)
    index = starts[:, None] + torch.arange(length, device=x.device)
    return x.gather(2, index[:, None, :].expand(n, c, length))
'''),
        "a different window for each channel": _augment(random_crop='''
def random_crop(x, length, generator):
    n, c, t = x.shape
    starts = torch.randint(0, t - length + 1, (n, c, 1), generator=generator, device=x.device)
    return x.gather(2, starts + torch.arange(length, device=x.device))
'''),
        "scaling changes x in place": _augment(scale='''
def scale(x, sigma, generator):
    x *= 1 + sigma * torch.randn(x.shape[0], x.shape[1], 1, generator=generator, device=x.device)
    return x
'''),
    },
}

CORRECT = {
    "sequence_autoencoder": {
        "1-D convolutions and explicit reshapes": '''
class SequenceAutoencoder(nn.Module):
    def __init__(self, length=50, latent_dim=16):
        super().__init__()
        self.length = length
        self.conv = nn.Conv1d(1, 8, 5, padding=2)
        self.to_code = nn.Linear(8 * length, latent_dim)
        self.from_code = nn.Linear(latent_dim, 8 * length)
        self.deconv = nn.Conv1d(8, 1, 5, padding=2)

    def encode(self, x):
        return self.to_code(torch.tanh(self.conv(x)).flatten(1))

    def forward(self, x):
        hidden = torch.tanh(self.from_code(self.encode(x))).view(-1, 8, self.length)
        return self.deconv(hidden)
''',
    },
    "random_span_mask": {
        "a loop over series and spans": '''
def random_span_mask(n, length, mask_ratio, span, generator):
    k = max(1, round(mask_ratio * length / span))
    mask = torch.zeros(n, length, dtype=torch.bool, device=generator.device)
    starts = torch.randint(0, length - span + 1, (n, k), generator=generator, device=generator.device)
    for i in range(n):
        for start in starts[i].tolist():
            mask[i, start:start + span] = True
    return mask
''',
    },
    "masked_mse": {
        "weighted sum over a float mask": '''
def masked_mse(prediction, target, mask):
    weights = mask.float().unsqueeze(1).expand_as(target)
    return (weights * (prediction - target) ** 2).sum() / weights.sum()
''',
    },
    "augmentations": {
        "unfold for the crop, randn_like-free noise": '''
def jitter(x, sigma, generator):
    noise = torch.empty_like(x).normal_(0.0, 1.0, generator=generator)
    return x + sigma * noise


def scale(x, sigma, generator):
    factors = torch.empty(x.shape[0], x.shape[1], 1, device=x.device).normal_(1.0, sigma, generator=generator)
    return x * factors


def random_crop(x, length, generator):
    windows = x.unfold(2, length, 1)  # (N, C, T - length + 1, length)
    starts = torch.randint(0, windows.shape[2], (x.shape[0],), generator=generator, device=x.device)
    return windows[torch.arange(x.shape[0], device=x.device), :, starts].clone()
''',
    },
}
