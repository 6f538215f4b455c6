"""Answer variants for notebook 05, keyed by the grade id of the solution cell.

WRONG: typical mistakes; each must lose that exercise's points.
CORRECT: right answers written differently from the reference; each must get full marks.
LAB_UTILS_ONLY: the closest each exercise comes to being answered by calling the course's
helper package alone; each must earn nothing.

The answers run in the notebook's namespace (torch, nn, F, np, lab_utils, timeseries).
"""

# What the visible check must say for each mistake it catches (tests/test_check_catch_rate.py):
# a phrase of its message that names the mistake. At least half of each exercise's WRONG
# variants are listed; the rest are left to the hidden tests.
VISIBLE_CHECK_SAYS = {
    "sequence_autoencoder": {
        "sigmoid at the end of the decoder": "end the decoder with a Linear layer",
        "ReLU on the output": "end the decoder with a Linear layer",
        "tanh on the output (values limited to +-1)": "no tanh",
        "latent size fixed at 16": "latent_dim",
        "reconstruction left flat (N, length)": "the input's shape",
        "a skip connection from the input around the code": "no shortcut around it",
        "the decoder fed with the 64-unit hidden layer, not the code": "no shortcut around it",
    },
    "random_span_mask": {
        "one set of spans for the whole batch": "every series draws its own spans",
        "starts never reach length - span": "starts run from 0 to length - span",
        "independent random steps instead of spans": "masked steps per series",
        "global random generator instead of the argument": "from the `generator` argument",
        "number of spans truncated with int()": "not int()",
        "spans one step too long (<= start + span)": "masked steps per series",
    },
    "masked_mse": {
        "mean over every step, masked or not": "over the masked time steps",
        "divided by the masked steps, not steps x channels": "(number of masked steps) x (number of channels)",
        "the visible steps instead of the hidden ones": "over the masked time steps",
        "mean of per-series means": "(number of masked steps) x (number of channels)",
        "the first channel only": "of every channel",
    },
    "jitter": {
        "variance sigma instead of standard deviation": "standard deviation of the jitter noise",
        "uniform noise in [-sigma, sigma]": "standard normal noise",
        "noise added in place": "instead of changing x in place",
        "torch's global generator (randn_like)": "from the `generator` argument",
        "multiplicative noise": "add sigma * standard normal noise",
    },
    "scale": {
        "one scaling factor for the whole batch": "mean scaling factor",
        "one scaling factor per series, shared by the channels": "shape (N, C, 1)",
        "scaling changes x in place": "instead of changing x in place",
        "a new factor at every time step": "the same at every time step",
        "factor sigma * z, without the 1": "mean 1",
        "uniform factors with the right spread": "not uniform ones",
    },
    "random_crop": {
        "one crop window for the whole batch": "every series draws its own start",
        "crop starts never reach T - length": "from 0 to T - length, both included",
        "a different window for each channel": "the same window for every channel",
        "crop starts from 1, never 0": "from 0 to T - length, both included",
        "torch's global generator": "from the `generator` argument",
    },
    "info_nce": {
        "notebook 03's NT-Xent (2N - 2 negatives, own side included)": "the N views of the other side only",
        "one direction only": "average both directions",
        "no L2 normalisation (dot products)": "L2-normalise",
        "temperature multiplied instead of divided": "divide the similarities by the temperature",
        "exp, sum and log (overflows at low temperatures)": "overflows",
        "the second side detached (the gradient reaches z1 only)": "flow back to z1 and z2",
        "the partner taken as the reversed batch": "the N views of the other side only",
    },
}


_AUTOENCODER = '''
class SequenceAutoencoder(nn.Module):
    def __init__(self, length=50, latent_dim=16):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(length, 64), nn.ReLU(), nn.Linear(64, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 64), nn.ReLU(), nn.Linear(64, length){end})

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).reshape(x.shape)
'''

WRONG = {
    "sequence_autoencoder": {
        "sigmoid at the end of the decoder": _AUTOENCODER.format(end=", nn.Sigmoid()"),
        "ReLU on the output": _AUTOENCODER.format(end=", nn.ReLU()"),
        "tanh on the output (values limited to +-1)": _AUTOENCODER.format(end=", nn.Tanh()"),
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
        "a skip connection from the input around the code": '''
class SequenceAutoencoder(nn.Module):
    def __init__(self, length=50, latent_dim=16):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(length, 64), nn.ReLU(), nn.Linear(64, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 64), nn.ReLU(), nn.Linear(64, length))

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return x + self.decoder(self.encode(x)).reshape(x.shape)
''',
        "the decoder fed with the 64-unit hidden layer, not the code": '''
class SequenceAutoencoder(nn.Module):
    def __init__(self, length=50, latent_dim=16):
        super().__init__()
        self.hidden = nn.Sequential(nn.Flatten(), nn.Linear(length, 64), nn.ReLU())
        self.to_code = nn.Linear(64, latent_dim)
        self.decoder = nn.Sequential(nn.Linear(64 + latent_dim, 64), nn.ReLU(), nn.Linear(64, length))

    def encode(self, x):
        return self.to_code(self.hidden(x))

    def forward(self, x):
        hidden = self.hidden(x)
        return self.decoder(torch.cat([hidden, self.to_code(hidden)], dim=1)).reshape(x.shape)
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
        "spans one step too long (<= start + span)": '''
def random_span_mask(n, length, mask_ratio, span, generator):
    k = max(1, round(mask_ratio * length / span))
    starts = torch.randint(0, length - span + 1, (n, k, 1), generator=generator, device=generator.device)
    steps = torch.arange(length, device=generator.device)
    return ((steps >= starts) & (steps <= starts + span)).any(dim=1)
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
        "the first channel only": '''
def masked_mse(prediction, target, mask):
    return ((prediction[:, 0] - target[:, 0])[mask] ** 2).mean()
''',
    },
    "jitter": {
        "noise drawn on the CPU, not on x's device (fails for x on a GPU)": '''
def jitter(x, sigma, generator):
    return x + sigma * torch.randn(x.shape, generator=generator)
''',
        "the same noise for every series": '''
def jitter(x, sigma, generator):
    return x + sigma * torch.randn(x.shape[1:], generator=generator, device=x.device)
''',
        "variance sigma instead of standard deviation": '''
def jitter(x, sigma, generator):
    return x + sigma ** 0.5 * torch.randn(x.shape, generator=generator, device=x.device)
''',
        "uniform noise in [-sigma, sigma]": '''
def jitter(x, sigma, generator):
    return x + sigma * (2 * torch.rand(x.shape, generator=generator, device=x.device) - 1)
''',
        "noise added in place": '''
def jitter(x, sigma, generator):
    x += sigma * torch.randn(x.shape, generator=generator, device=x.device)
    return x
''',
        "torch's global generator (randn_like)": '''
def jitter(x, sigma, generator):
    return x + sigma * torch.randn_like(x)
''',
        "multiplicative noise": '''
def jitter(x, sigma, generator):
    return x * (1 + sigma * torch.randn(x.shape, generator=generator, device=x.device))
''',
    },
    "scale": {
        "factors drawn on the CPU, not on x's device (fails for x on a GPU)": '''
def scale(x, sigma, generator):
    return x * (1 + sigma * torch.randn(x.shape[0], x.shape[1], 1, generator=generator))
''',
        "one scaling factor for the whole batch": '''
def scale(x, sigma, generator):
    return x * (1 + sigma * torch.randn(1, generator=generator, device=x.device))
''',
        "one scaling factor per series, shared by the channels": '''
def scale(x, sigma, generator):
    return x * (1 + sigma * torch.randn(x.shape[0], 1, 1, generator=generator, device=x.device))
''',
        "scaling changes x in place": '''
def scale(x, sigma, generator):
    x *= 1 + sigma * torch.randn(x.shape[0], x.shape[1], 1, generator=generator, device=x.device)
    return x
''',
        "a new factor at every time step": '''
def scale(x, sigma, generator):
    return x * (1 + sigma * torch.randn(x.shape, generator=generator, device=x.device))
''',
        "factor sigma * z, without the 1": '''
def scale(x, sigma, generator):
    return x * sigma * torch.randn(x.shape[0], x.shape[1], 1, generator=generator, device=x.device)
''',
        "uniform factors with the right spread": '''
def scale(x, sigma, generator):
    u = torch.rand(x.shape[0], x.shape[1], 1, generator=generator, device=x.device)
    return x * (1 + sigma * 3 ** 0.5 * (2 * u - 1))
''',
    },
    "random_crop": {
        "window starts drawn on the CPU, not on x's device (fails for x on a GPU)": '''
def random_crop(x, length, generator):
    n, c, t = x.shape
    starts = torch.randint(0, t - length + 1, (n,), generator=generator)
    index = starts[:, None] + torch.arange(length, device=x.device)
    return x.gather(2, index[:, None, :].expand(n, c, length))
''',
        "one crop window for the whole batch": '''
def random_crop(x, length, generator):
    start = int(torch.randint(0, x.shape[-1] - length + 1, (1,), generator=generator))
    return x[:, :, start:start + length]
''',
        "crop starts never reach T - length": '''
def random_crop(x, length, generator):
    n, c, t = x.shape
    starts = torch.randint(0, t - length, (n,), generator=generator, device=x.device)
    index = starts[:, None] + torch.arange(length, device=x.device)
    return x.gather(2, index[:, None, :].expand(n, c, length))
''',
        "a different window for each channel": '''
def random_crop(x, length, generator):
    n, c, t = x.shape
    starts = torch.randint(0, t - length + 1, (n, c, 1), generator=generator, device=x.device)
    return x.gather(2, starts + torch.arange(length, device=x.device))
''',
        "crop starts from 1, never 0": '''
def random_crop(x, length, generator):
    n, c, t = x.shape
    starts = torch.randint(1, t - length + 1, (n,), generator=generator, device=x.device)
    index = starts[:, None] + torch.arange(length, device=x.device)
    return x.gather(2, index[:, None, :].expand(n, c, length))
''',
        "torch's global generator": '''
def random_crop(x, length, generator):
    n, c, t = x.shape
    starts = torch.randint(0, t - length + 1, (n,), device=x.device)
    index = starts[:, None] + torch.arange(length, device=x.device)
    return x.gather(2, index[:, None, :].expand(n, c, length))
''',
    },
    "info_nce": {
        "the partners' indices made on the CPU (fails for inputs on a GPU)": '''
def info_nce(z1, z2, temperature):
    logits = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T / temperature
    partners = torch.arange(len(z1))
    return (F.cross_entropy(logits, partners) + F.cross_entropy(logits.T, partners)) / 2
''',
        "the second side detached (the gradient reaches z1 only)": '''
def info_nce(z1, z2, temperature):
    logits = F.normalize(z1, dim=1) @ F.normalize(z2.detach(), dim=1).T / temperature
    partners = torch.arange(len(z1), device=z1.device)
    return (F.cross_entropy(logits, partners) + F.cross_entropy(logits.T, partners)) / 2
''',
        "notebook 03's NT-Xent (2N - 2 negatives, own side included)": '''
def info_nce(z1, z2, temperature):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    similarity = (z @ z.T / temperature).fill_diagonal_(float("-inf"))
    n = len(z1)
    partners = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(similarity, partners)
''',
        "one direction only": '''
def info_nce(z1, z2, temperature):
    logits = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T / temperature
    return F.cross_entropy(logits, torch.arange(len(z1), device=z1.device))
''',
        "no L2 normalisation (dot products)": '''
def info_nce(z1, z2, temperature):
    logits = z1 @ z2.T / temperature
    targets = torch.arange(len(z1), device=z1.device)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
''',
        "temperature multiplied instead of divided": '''
def info_nce(z1, z2, temperature):
    logits = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T * temperature
    targets = torch.arange(len(z1), device=z1.device)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
''',
        "exp, sum and log (overflows at low temperatures)": '''
def info_nce(z1, z2, temperature):
    scores = torch.exp(F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T / temperature)
    positive = scores.diagonal()
    return -(torch.log(positive / scores.sum(dim=1)) + torch.log(positive / scores.sum(dim=0))).mean() / 2
''',
        "the partner taken as the reversed batch": '''
def info_nce(z1, z2, temperature):
    logits = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T / temperature
    targets = torch.arange(len(z1) - 1, -1, -1, device=z1.device)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
''',
        "summed over the series instead of averaged": '''
def info_nce(z1, z2, temperature):
    logits = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T / temperature
    targets = torch.arange(len(z1), device=z1.device)
    return (F.cross_entropy(logits, targets, reduction="sum") + F.cross_entropy(logits.T, targets, reduction="sum")) / 2
''',
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
        "one tanh layer each way (the seed material's autoencoder)": '''
class SequenceAutoencoder(nn.Module):
    def __init__(self, length=50, latent_dim=16):
        super().__init__()
        self.encoder = nn.Linear(length, latent_dim)
        self.decoder = nn.Linear(latent_dim, length)

    def encode(self, x):
        return torch.tanh(self.encoder(x.flatten(1)))

    def forward(self, x):
        return self.decoder(self.encode(x)).view_as(x)
''',
        "linear, no activation at all (PCA-like)": '''
class SequenceAutoencoder(nn.Module):
    def __init__(self, length=50, latent_dim=16):
        super().__init__()
        self.down = nn.Linear(length, latent_dim)
        self.up = nn.Linear(latent_dim, length)

    def encode(self, x):
        return self.down(x.squeeze(1))

    def forward(self, x):
        return self.up(self.encode(x)).unsqueeze(1)
''',
        "a deeper MLP with BatchNorm and GELU": '''
class SequenceAutoencoder(nn.Module):
    def __init__(self, length=50, latent_dim=16):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(length, 128), nn.BatchNorm1d(128), nn.GELU(),
                                     nn.Linear(128, 64), nn.GELU(), nn.Linear(64, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 64), nn.GELU(), nn.Linear(64, 128), nn.GELU(),
                                     nn.Linear(128, length))

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).unflatten(1, (1, -1))
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
        "scatter of every masked step": '''
def random_span_mask(n, length, mask_ratio, span, generator):
    k = max(1, round(mask_ratio * length / span))
    device = generator.device
    starts = torch.randint(0, length - span + 1, (n, k), generator=generator, device=device)
    steps = (starts[:, :, None] + torch.arange(span, device=device)).flatten(1)
    return torch.zeros(n, length, dtype=torch.bool, device=device).scatter_(1, steps, True)
''',
        "start markers widened by a max-pool": '''
def random_span_mask(n, length, mask_ratio, span, generator):
    k = max(1, round(mask_ratio * length / span))
    device = generator.device
    starts = torch.randint(0, length - span + 1, (n, k), generator=generator, device=device)
    markers = torch.zeros(n, 1, length, device=device).scatter_(2, starts[:, None, :], 1.0)
    widened = F.max_pool1d(F.pad(markers, (span - 1, 0)), kernel_size=span, stride=1)
    return widened[:, 0] > 0
''',
    },
    "masked_mse": {
        "weighted sum over a float mask": '''
def masked_mse(prediction, target, mask):
    weights = mask.float().unsqueeze(1).expand_as(target)
    return (weights * (prediction - target) ** 2).sum() / weights.sum()
''',
        "masked_select": '''
def masked_mse(prediction, target, mask):
    squared = (prediction - target).pow(2)
    return squared.masked_select(mask.unsqueeze(1).expand_as(squared)).mean()
''',
        "channels summed first, then divided by steps x channels": '''
def masked_mse(prediction, target, mask):
    per_step = ((prediction - target) ** 2).sum(dim=1)  # (N, T)
    return per_step[mask].sum() / (mask.sum() * target.shape[1])
''',
    },
    "jitter": {
        "normal_ into an empty tensor": '''
def jitter(x, sigma, generator):
    return x + sigma * torch.empty_like(x).normal_(0.0, 1.0, generator=generator)
''',
        "torch.normal with mean 0 and std sigma": '''
def jitter(x, sigma, generator):
    return x + torch.normal(0.0, sigma, size=x.shape, generator=generator, device=x.device)
''',
        "randn without dtype": '''
def jitter(x, sigma, generator):
    noise = torch.randn(*x.shape, generator=generator, device=x.device)
    return x.clone().add_(noise, alpha=sigma)
''',
    },
    "scale": {
        "normal_(1, sigma)": '''
def scale(x, sigma, generator):
    factors = torch.empty(x.shape[0], x.shape[1], 1, device=x.device).normal_(1.0, sigma, generator=generator)
    return x * factors
''',
        "torch.normal and broadcasting": '''
def scale(x, sigma, generator):
    n, c, _ = x.shape
    return torch.normal(1.0, sigma, size=(n, c, 1), generator=generator, device=x.device) * x
''',
        "randn of shape (N, C), unsqueezed": '''
def scale(x, sigma, generator):
    z = torch.randn(x.shape[:2], generator=generator, device=x.device)
    return x * (1 + sigma * z).unsqueeze(-1)
''',
    },
    "random_crop": {
        "unfold lists every window": '''
def random_crop(x, length, generator):
    windows = x.unfold(2, length, 1)  # (N, C, T - length + 1, length)
    starts = torch.randint(0, windows.shape[2], (x.shape[0],), generator=generator, device=x.device)
    return windows[torch.arange(x.shape[0], device=x.device), :, starts].clone()
''',
        "a loop over the series": '''
def random_crop(x, length, generator):
    starts = torch.randint(0, x.shape[-1] - length + 1, (len(x),), generator=generator, device=x.device)
    return torch.stack([series[:, start:start + length] for series, start in zip(x, starts.tolist())])
''',
        "advanced indexing on all three axes": '''
def random_crop(x, length, generator):
    n, c, t = x.shape
    starts = torch.randint(0, t - length + 1, (n, 1, 1), generator=generator, device=x.device)
    steps = starts + torch.arange(length, device=x.device)
    rows = torch.arange(n, device=x.device)[:, None, None]
    channels = torch.arange(c, device=x.device)[None, :, None]
    return x[rows, channels, steps]
''',
    },
    "info_nce": {
        "one cross-entropy over both directions stacked": '''
def info_nce(z1, z2, temperature):
    a, b = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    logits = a @ b.T / temperature
    targets = torch.arange(len(a), device=a.device)
    return F.cross_entropy(torch.cat([logits, logits.T]), torch.cat([targets, targets]))
''',
        "logsumexp over rows and columns": '''
def info_nce(z1, z2, temperature):
    a = z1 / z1.norm(dim=1, keepdim=True)
    b = z2 / z2.norm(dim=1, keepdim=True)
    similarity = a @ b.T / temperature
    positive = similarity.diagonal()
    rows = torch.logsumexp(similarity, dim=1) - positive
    columns = torch.logsumexp(similarity, dim=0) - positive
    return (rows.mean() + columns.mean()) / 2
''',
        "F.cosine_similarity by broadcasting, a loop over the two directions": '''
def info_nce(z1, z2, temperature):
    targets = torch.arange(len(z1), device=z1.device)
    losses = []
    for queries, keys in ((z1, z2), (z2, z1)):
        logits = F.cosine_similarity(queries[:, None, :], keys[None, :, :], dim=-1) / temperature
        losses.append(F.cross_entropy(logits, targets))
    return sum(losses) / 2
''',
    },
}

LAB_UTILS_ONLY = {
    # The package has no autoencoder; its only series transform is z-normalisation, which
    # "reconstructs" by copying the input around any code.
    "sequence_autoencoder": {
        "timeseries.znormalize as the reconstruction": '''
class SequenceAutoencoder(nn.Module):
    def __init__(self, length=50, latent_dim=16):
        super().__init__()
        self.latent_dim = latent_dim
        self.scale = nn.Parameter(torch.ones(1))

    def encode(self, x):
        return x.flatten(1)[:, :self.latent_dim] * self.scale

    def forward(self, x):
        return timeseries.znormalize(x) * self.scale
''',
    },
    # The package's only random subset, seeded by an integer: the same starts for every series.
    "random_span_mask": {
        "lab_utils.stratified_indices as span starts": '''
def random_span_mask(n, length, mask_ratio, span, generator):
    k = max(1, round(mask_ratio * length / span))
    starts = lab_utils.stratified_indices(torch.zeros(length - span + 1, dtype=torch.long), k)
    steps = torch.arange(length)
    row = ((steps >= starts[:, None]) & (steps < starts[:, None] + span)).any(dim=0)
    return row.expand(n, length).clone()
''',
    },
    # No masked loss in the package: the squared error of z-normalised series, unmasked.
    "masked_mse": {
        "timeseries.znormalize, no mask": '''
def masked_mse(prediction, target, mask):
    return ((timeseries.znormalize(prediction) - timeseries.znormalize(target)) ** 2).mean()
''',
    },
    # augment.uniform draws from the generator on the right device: uniform noise with the
    # right standard deviation, but not normal.
    "jitter": {
        "lab_utils.augment.uniform with the same standard deviation": '''
from lab_utils import augment

def jitter(x, sigma, generator):
    half_width = sigma * 3 ** 0.5
    noise = augment.uniform(x.numel(), -half_width, half_width, generator, x.device)
    return x + noise.view_as(x)
''',
    },
    "scale": {
        "lab_utils.augment.uniform factors with the same standard deviation": '''
from lab_utils import augment

def scale(x, sigma, generator):
    half_width = sigma * 3 ** 0.5
    factors = augment.uniform(x.shape[0] * x.shape[1], 1 - half_width, 1 + half_width, generator, x.device)
    return x * factors.view(x.shape[0], x.shape[1], 1)
''',
    },
    # The image crop of lab_utils.augment on the series drawn as images: it resizes, so the
    # window is no longer a run of consecutive steps.
    "random_crop": {
        "lab_utils.augment.random_resized_crop on series as images": '''
from lab_utils import augment

def random_crop(x, length, generator):
    n, c, t = x.shape
    images = x[:, :, None, :].expand(n, c, t, t)
    views = augment.random_resized_crop(images, size=length, scale=(length / t, length / t),
                                        ratio=(1.0, 1.0), generator=generator)
    return views[:, :, 0, :]
''',
    },
    # The package has no contrastive loss; the nearest thing was the k-NN accuracy of
    # matching the views, which is neither InfoNCE nor differentiable.
    "info_nce": {
        "1 - k-NN accuracy of matching the views": '''
def info_nce(z1, z2, temperature):
    ids = torch.arange(len(z1))
    return torch.tensor(1.0 - lab_utils.knn_accuracy(z1, ids, z2, ids, k=1))
''',
    },
}
