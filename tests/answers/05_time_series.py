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
    "random_crop": {
        "one crop window for the whole batch": "every series draws its own start",
        "crop starts never reach T - length": "from 0 to T - length, both included",
        "a different window for each channel": "the same window for every channel",
        "crop starts from 1, never 0": "from 0 to T - length, both included",
        "torch's global generator": "from the `generator` argument",
    },
    "scale_and_jitter": {
        "jitter before scaling (the noise is scaled too)": "scale first, then add",
        "one scaling factor per series, shared by the channels": "shape (N, C, 1)",
        "a new factor at every time step": "the same at every time step",
        "uniform noise in [-sigma, sigma]": "standard normal noise",
        "x changed in place": "instead of changing x in place",
        "torch's global generator (randn_like)": "from the `generator` argument",
        "the same noise for every series": "standard normal noise",
    },
    "hierarchical_contrastive_loss": {
        "only the finest level (no hierarchy)": "only the first level",
        "mean pooling instead of max pooling": "maximum over windows",
        "pooled along the features ((N, T, D) layout assumed)": "pool along time",
        "levels summed, not averaged": "sum of the levels",
        "L2-normalised (cosine) scores": "do not L2-normalise",
        "the second view detached (the gradient reaches z1 only)": "no .detach()",
        "the last level (T = 1) left out": "the last level (T = 1",
        "negatives from the other view only (notebook 03's InfoNCE habit)": "each anchor's",
        "exp, sum and log (overflows for large features)": "logsumexp",
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

_HIERARCHY = '''
def hierarchical_contrastive_loss(z1, z2, alpha=0.5):
    def contrast(a, b):
        m = a.shape[1]
        z = torch.cat([a, b], dim=1)
        logits = {scores}
        logits = logits.masked_fill(torch.eye(2 * m, dtype=torch.bool, device=z.device), float("-inf"))
        partners = (torch.arange(2 * m, device=z.device) + m) % (2 * m)
        return F.cross_entropy(logits.flatten(0, 1), partners.repeat(len(z)))

    levels = []
    while {loop}:
        instance = contrast(z1.permute(2, 0, 1), z2.permute(2, 0, 1))
        if z1.shape[-1] == 1:
            levels.append(alpha * instance)
            break
        temporal = contrast(z1.transpose(1, 2), z2.transpose(1, 2))
        levels.append(alpha * instance + (1 - alpha) * temporal)
        z1, z2 = {pool}
    return {reduce}
'''


def _hierarchy(scores="z @ z.transpose(1, 2)", loop="True", pool="F.max_pool1d(z1, 2), F.max_pool1d(z2, 2)",
               reduce="torch.stack(levels).mean()"):
    return _HIERARCHY.format(scores=scores, loop=loop, pool=pool, reduce=reduce)


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
    "scale_and_jitter": {
        'jitter before scaling (the noise is scaled too)': '''
def scale_and_jitter(x, scale_sigma, jitter_sigma, generator):
    noisy = x + jitter_sigma * torch.randn(x.shape, generator=generator, device=x.device)
    factors = 1 + scale_sigma * torch.randn(x.shape[0], x.shape[1], 1, generator=generator, device=x.device)
    return noisy * factors
''',
        'one scaling factor per series, shared by the channels': '''
def scale_and_jitter(x, scale_sigma, jitter_sigma, generator):
    factors = 1 + scale_sigma * torch.randn(x.shape[0], 1, 1, generator=generator, device=x.device)
    return x * factors + jitter_sigma * torch.randn(x.shape, generator=generator, device=x.device)
''',
        'a new factor at every time step': '''
def scale_and_jitter(x, scale_sigma, jitter_sigma, generator):
    factors = 1 + scale_sigma * torch.randn(x.shape, generator=generator, device=x.device)
    return x * factors + jitter_sigma * torch.randn(x.shape, generator=generator, device=x.device)
''',
        'uniform noise in [-sigma, sigma]': '''
def scale_and_jitter(x, scale_sigma, jitter_sigma, generator):
    factors = 1 + scale_sigma * torch.randn(x.shape[0], x.shape[1], 1, generator=generator, device=x.device)
    return x * factors + jitter_sigma * (2 * torch.rand(x.shape, generator=generator, device=x.device) - 1)
''',
        'x changed in place': '''
def scale_and_jitter(x, scale_sigma, jitter_sigma, generator):
    x *= 1 + scale_sigma * torch.randn(x.shape[0], x.shape[1], 1, generator=generator, device=x.device)
    x += jitter_sigma * torch.randn(x.shape, generator=generator, device=x.device)
    return x
''',
        "torch's global generator (randn_like)": '''
def scale_and_jitter(x, scale_sigma, jitter_sigma, generator):
    factors = 1 + scale_sigma * torch.randn(x.shape[0], x.shape[1], 1, generator=generator, device=x.device)
    return x * factors + jitter_sigma * torch.randn_like(x)
''',
        'the same noise for every series': '''
def scale_and_jitter(x, scale_sigma, jitter_sigma, generator):
    factors = 1 + scale_sigma * torch.randn(x.shape[0], x.shape[1], 1, generator=generator, device=x.device)
    return x * factors + jitter_sigma * torch.randn(x.shape[1:], generator=generator, device=x.device)
''',
        'draws made on the CPU (no device=)': '''
def scale_and_jitter(x, scale_sigma, jitter_sigma, generator):
    factors = 1 + scale_sigma * torch.randn(x.shape[0], x.shape[1], 1, generator=generator)
    return x * factors + jitter_sigma * torch.randn(x.shape, generator=generator)
''',
    },
    "hierarchical_contrastive_loss": {
        'only the finest level (no hierarchy)': '''
def hierarchical_contrastive_loss(z1, z2, alpha=0.5):
    def contrast(a, b):
        m = a.shape[1]
        z = torch.cat([a, b], dim=1)
        logits = z @ z.transpose(1, 2)
        logits = logits.masked_fill(torch.eye(2 * m, dtype=torch.bool, device=z.device), float("-inf"))
        partners = (torch.arange(2 * m, device=z.device) + m) % (2 * m)
        return F.cross_entropy(logits.flatten(0, 1), partners.repeat(len(z)))

    levels = []
    while True:
        instance = contrast(z1.permute(2, 0, 1), z2.permute(2, 0, 1))
        if z1.shape[-1] == 1:
            levels.append(alpha * instance)
            break
        temporal = contrast(z1.transpose(1, 2), z2.transpose(1, 2))
        levels.append(alpha * instance + (1 - alpha) * temporal)
        z1, z2 = F.max_pool1d(z1, 2), F.max_pool1d(z2, 2)
    return levels[0]
''',
        'mean pooling instead of max pooling': '''
def hierarchical_contrastive_loss(z1, z2, alpha=0.5):
    def contrast(a, b):
        m = a.shape[1]
        z = torch.cat([a, b], dim=1)
        logits = z @ z.transpose(1, 2)
        logits = logits.masked_fill(torch.eye(2 * m, dtype=torch.bool, device=z.device), float("-inf"))
        partners = (torch.arange(2 * m, device=z.device) + m) % (2 * m)
        return F.cross_entropy(logits.flatten(0, 1), partners.repeat(len(z)))

    levels = []
    while True:
        instance = contrast(z1.permute(2, 0, 1), z2.permute(2, 0, 1))
        if z1.shape[-1] == 1:
            levels.append(alpha * instance)
            break
        temporal = contrast(z1.transpose(1, 2), z2.transpose(1, 2))
        levels.append(alpha * instance + (1 - alpha) * temporal)
        z1, z2 = F.avg_pool1d(z1, 2), F.avg_pool1d(z2, 2)
    return torch.stack(levels).mean()
''',
        'pooled along the features ((N, T, D) layout assumed)': '''
def hierarchical_contrastive_loss(z1, z2, alpha=0.5):
    def contrast(a, b):
        m = a.shape[1]
        z = torch.cat([a, b], dim=1)
        logits = z @ z.transpose(1, 2)
        logits = logits.masked_fill(torch.eye(2 * m, dtype=torch.bool, device=z.device), float("-inf"))
        partners = (torch.arange(2 * m, device=z.device) + m) % (2 * m)
        return F.cross_entropy(logits.flatten(0, 1), partners.repeat(len(z)))

    levels = []
    while True:
        instance = contrast(z1.permute(2, 0, 1), z2.permute(2, 0, 1))
        if z1.shape[-1] == 1:
            levels.append(alpha * instance)
            break
        temporal = contrast(z1.transpose(1, 2), z2.transpose(1, 2))
        levels.append(alpha * instance + (1 - alpha) * temporal)
        z1, z2 = F.max_pool1d(z1.transpose(1, 2), 2).transpose(1, 2), F.max_pool1d(z2.transpose(1, 2), 2).transpose(1, 2)
    return torch.stack(levels).mean()
''',
        'levels summed, not averaged': '''
def hierarchical_contrastive_loss(z1, z2, alpha=0.5):
    def contrast(a, b):
        m = a.shape[1]
        z = torch.cat([a, b], dim=1)
        logits = z @ z.transpose(1, 2)
        logits = logits.masked_fill(torch.eye(2 * m, dtype=torch.bool, device=z.device), float("-inf"))
        partners = (torch.arange(2 * m, device=z.device) + m) % (2 * m)
        return F.cross_entropy(logits.flatten(0, 1), partners.repeat(len(z)))

    levels = []
    while True:
        instance = contrast(z1.permute(2, 0, 1), z2.permute(2, 0, 1))
        if z1.shape[-1] == 1:
            levels.append(alpha * instance)
            break
        temporal = contrast(z1.transpose(1, 2), z2.transpose(1, 2))
        levels.append(alpha * instance + (1 - alpha) * temporal)
        z1, z2 = F.max_pool1d(z1, 2), F.max_pool1d(z2, 2)
    return torch.stack(levels).sum()
''',
        'L2-normalised (cosine) scores': '''
def hierarchical_contrastive_loss(z1, z2, alpha=0.5):
    def contrast(a, b):
        m = a.shape[1]
        z = torch.cat([a, b], dim=1)
        logits = F.normalize(z, dim=2) @ F.normalize(z, dim=2).transpose(1, 2)
        logits = logits.masked_fill(torch.eye(2 * m, dtype=torch.bool, device=z.device), float("-inf"))
        partners = (torch.arange(2 * m, device=z.device) + m) % (2 * m)
        return F.cross_entropy(logits.flatten(0, 1), partners.repeat(len(z)))

    levels = []
    while True:
        instance = contrast(z1.permute(2, 0, 1), z2.permute(2, 0, 1))
        if z1.shape[-1] == 1:
            levels.append(alpha * instance)
            break
        temporal = contrast(z1.transpose(1, 2), z2.transpose(1, 2))
        levels.append(alpha * instance + (1 - alpha) * temporal)
        z1, z2 = F.max_pool1d(z1, 2), F.max_pool1d(z2, 2)
    return torch.stack(levels).mean()
''',
        'the second view detached (the gradient reaches z1 only)': '''
def hierarchical_contrastive_loss(z1, z2, alpha=0.5):
    def contrast(a, b):
        m = a.shape[1]
        z = torch.cat([a, b.detach()], dim=1)
        logits = (z @ z.transpose(1, 2)).masked_fill(torch.eye(2 * m, dtype=torch.bool, device=z.device), float("-inf"))
        partners = (torch.arange(2 * m, device=z.device) + m) % (2 * m)
        return F.cross_entropy(logits.flatten(0, 1), partners.repeat(len(z)))

    levels = []
    while True:
        instance = contrast(z1.permute(2, 0, 1), z2.permute(2, 0, 1))
        if z1.shape[-1] == 1:
            levels.append(alpha * instance)
            break
        levels.append(alpha * instance + (1 - alpha) * contrast(z1.transpose(1, 2), z2.transpose(1, 2)))
        z1, z2 = F.max_pool1d(z1, 2), F.max_pool1d(z2, 2)
    return torch.stack(levels).mean()
''',
        'the last level (T = 1) left out': '''
def hierarchical_contrastive_loss(z1, z2, alpha=0.5):
    def contrast(a, b):
        m = a.shape[1]
        z = torch.cat([a, b], dim=1)
        logits = (z @ z.transpose(1, 2)).masked_fill(torch.eye(2 * m, dtype=torch.bool, device=z.device), float("-inf"))
        partners = (torch.arange(2 * m, device=z.device) + m) % (2 * m)
        return F.cross_entropy(logits.flatten(0, 1), partners.repeat(len(z)))

    levels = []
    while z1.shape[-1] > 1:
        levels.append(alpha * contrast(z1.permute(2, 0, 1), z2.permute(2, 0, 1))
                      + (1 - alpha) * contrast(z1.transpose(1, 2), z2.transpose(1, 2)))
        z1, z2 = F.max_pool1d(z1, 2), F.max_pool1d(z2, 2)
    if not levels:
        return alpha * contrast(z1.permute(2, 0, 1), z2.permute(2, 0, 1))
    return torch.stack(levels).mean()
''',
        "negatives from the other view only (notebook 03's InfoNCE habit)": '''
def hierarchical_contrastive_loss(z1, z2, alpha=0.5):
    def contrast(a, b):
        logits = a @ b.transpose(1, 2)  # (G, M, M): the other view's members only
        targets = torch.arange(a.shape[1], device=a.device).repeat(len(a))
        return (F.cross_entropy(logits.flatten(0, 1), targets)
                + F.cross_entropy(logits.transpose(1, 2).flatten(0, 1), targets)) / 2

    levels = []
    while True:
        instance = contrast(z1.permute(2, 0, 1), z2.permute(2, 0, 1))
        if z1.shape[-1] == 1:
            levels.append(alpha * instance)
            break
        levels.append(alpha * instance + (1 - alpha) * contrast(z1.transpose(1, 2), z2.transpose(1, 2)))
        z1, z2 = F.max_pool1d(z1, 2), F.max_pool1d(z2, 2)
    return torch.stack(levels).mean()
''',
        'tensors made on the CPU (torch.arange and torch.eye without device)': '''
def hierarchical_contrastive_loss(z1, z2, alpha=0.5):
    def contrast(a, b):
        m = a.shape[1]
        z = torch.cat([a, b], dim=1)
        logits = (z @ z.transpose(1, 2)).masked_fill(torch.eye(2 * m, dtype=torch.bool), float("-inf"))
        partners = (torch.arange(2 * m) + m) % (2 * m)
        return F.cross_entropy(logits.flatten(0, 1), partners.repeat(len(z)))

    levels = []
    while True:
        instance = contrast(z1.permute(2, 0, 1), z2.permute(2, 0, 1))
        if z1.shape[-1] == 1:
            levels.append(alpha * instance)
            break
        levels.append(alpha * instance + (1 - alpha) * contrast(z1.transpose(1, 2), z2.transpose(1, 2)))
        z1, z2 = F.max_pool1d(z1, 2), F.max_pool1d(z2, 2)
    return torch.stack(levels).mean()
''',
        'exp, sum and log (overflows for large features)': '''
def hierarchical_contrastive_loss(z1, z2, alpha=0.5):
    def contrast(a, b):
        m = a.shape[1]
        z = torch.cat([a, b], dim=1)
        scores = torch.exp(z @ z.transpose(1, 2))
        scores = scores * (1 - torch.eye(2 * m, device=z.device))
        partners = (torch.arange(2 * m, device=z.device) + m) % (2 * m)
        positive = scores[:, torch.arange(2 * m, device=z.device), partners]
        return -torch.log(positive / scores.sum(dim=2)).mean()

    levels = []
    while True:
        instance = contrast(z1.permute(2, 0, 1), z2.permute(2, 0, 1))
        if z1.shape[-1] == 1:
            levels.append(alpha * instance)
            break
        levels.append(alpha * instance + (1 - alpha) * contrast(z1.transpose(1, 2), z2.transpose(1, 2)))
        z1, z2 = F.max_pool1d(z1, 2), F.max_pool1d(z2, 2)
    return torch.stack(levels).mean()
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
    "scale_and_jitter": {
        'normal_ into empty tensors': '''
def scale_and_jitter(x, scale_sigma, jitter_sigma, generator):
    factors = torch.empty(x.shape[0], x.shape[1], 1, device=x.device).normal_(1.0, scale_sigma, generator=generator)
    noise = torch.empty_like(x).normal_(0.0, 1.0, generator=generator)
    return x * factors + jitter_sigma * noise
''',
        'torch.normal, the noise drawn first': '''
def scale_and_jitter(x, scale_sigma, jitter_sigma, generator):
    n, c, _ = x.shape
    noise = torch.normal(0.0, 1.0, size=x.shape, generator=generator, device=x.device) * jitter_sigma
    factors = torch.normal(1.0, 1.0, size=(n, c, 1), generator=generator, device=x.device)
    factors = 1 + (factors - 1) * scale_sigma
    return x * factors + noise
''',
        'randn of shape (N, C), addcmul': '''
def scale_and_jitter(x, scale_sigma, jitter_sigma, generator):
    z = torch.randn(x.shape[:2], generator=generator, device=x.device)
    scaled = x * (1 + scale_sigma * z).unsqueeze(-1)
    return torch.addcmul(scaled, torch.randn(*x.shape, generator=generator, device=x.device),
                         torch.tensor(jitter_sigma, device=x.device))
''',
    },
    "hierarchical_contrastive_loss": {
        "TS2Vec's code: (N, T, D) layout, tril and triu drop the diagonal": '''
def _instance_contrastive_loss(z1, z2):
    B = z1.size(0)
    if B == 1:
        return z1.new_tensor(0.0)
    z = torch.cat([z1, z2], dim=0).transpose(0, 1)  # T x 2B x D
    sim = torch.matmul(z, z.transpose(1, 2))  # T x 2B x 2B
    logits = torch.tril(sim, diagonal=-1)[:, :, :-1]
    logits += torch.triu(sim, diagonal=1)[:, :, 1:]
    logits = -F.log_softmax(logits, dim=-1)
    i = torch.arange(B, device=z1.device)
    return (logits[:, i, B + i - 1].mean() + logits[:, B + i, i].mean()) / 2


def _temporal_contrastive_loss(z1, z2):
    T = z1.size(1)
    if T == 1:
        return z1.new_tensor(0.0)
    z = torch.cat([z1, z2], dim=1)  # B x 2T x D
    sim = torch.matmul(z, z.transpose(1, 2))  # B x 2T x 2T
    logits = torch.tril(sim, diagonal=-1)[:, :, :-1]
    logits += torch.triu(sim, diagonal=1)[:, :, 1:]
    logits = -F.log_softmax(logits, dim=-1)
    t = torch.arange(T, device=z1.device)
    return (logits[:, t, T + t - 1].mean() + logits[:, T + t, t].mean()) / 2


def hierarchical_contrastive_loss(z1, z2, alpha=0.5):
    z1, z2 = z1.transpose(1, 2), z2.transpose(1, 2)  # (N, T, D), as TS2Vec keeps them
    loss = torch.tensor(0.0, device=z1.device)
    d = 0
    while z1.size(1) > 1:
        loss = loss + alpha * _instance_contrastive_loss(z1, z2)
        loss = loss + (1 - alpha) * _temporal_contrastive_loss(z1, z2)
        d += 1
        z1 = F.max_pool1d(z1.transpose(1, 2), kernel_size=2).transpose(1, 2)
        z2 = F.max_pool1d(z2.transpose(1, 2), kernel_size=2).transpose(1, 2)
    if z1.size(1) == 1:
        loss = loss + alpha * _instance_contrastive_loss(z1, z2)
        d += 1
    return loss / d
''',
        'loops over the steps and the series, logsumexp': '''
def hierarchical_contrastive_loss(z1, z2, alpha=0.5):
    def nt_xent(a, b):  # (M, D) partners row by row; candidates: the 2M - 1 others
        z = torch.cat([a, b])
        m = len(a)
        scores = z @ z.T
        scores = scores - torch.diag(torch.full((2 * m,), float("inf"), device=z.device))
        partner = torch.cat([torch.arange(m, 2 * m), torch.arange(m)]).to(z.device)
        return (torch.logsumexp(scores, dim=1) - scores[torch.arange(2 * m, device=z.device), partner]).mean()

    levels = []
    while True:
        t = z1.shape[-1]
        instance = sum(nt_xent(z1[:, :, k], z2[:, :, k]) for k in range(t)) / t
        if t == 1:
            levels.append(alpha * instance)
            break
        temporal = sum(nt_xent(z1[i].T, z2[i].T) for i in range(len(z1))) / len(z1)
        levels.append(alpha * instance + (1 - alpha) * temporal)
        keep = t // 2 * 2
        z1 = z1[..., :keep].unflatten(-1, (t // 2, 2)).amax(-1)
        z2 = z2[..., :keep].unflatten(-1, (t // 2, 2)).amax(-1)
    return sum(levels) / len(levels)
''',
        'recursion, one log_softmax over both contrasts': '''
def _one_level(z1, z2, alpha):
    def contrast(a, b):
        z = torch.cat([a, b], dim=1)
        m = a.shape[1]
        eye = torch.eye(2 * m, device=z.device, dtype=torch.bool)
        log_p = torch.log_softmax((z @ z.transpose(1, 2)).masked_fill(eye, -torch.inf), dim=-1)
        return -log_p.diagonal(offset=m, dim1=1, dim2=2).mean() / 2 - log_p.diagonal(offset=-m, dim1=1, dim2=2).mean() / 2
    instance = contrast(z1.permute(2, 0, 1), z2.permute(2, 0, 1))
    temporal = contrast(z1.transpose(1, 2), z2.transpose(1, 2)) if z1.shape[-1] > 1 else 0.0
    return alpha * instance + (1 - alpha) * temporal if z1.shape[-1] > 1 else alpha * instance


def _levels(z1, z2, alpha):
    here = [_one_level(z1, z2, alpha)]
    if z1.shape[-1] == 1:
        return here
    return here + _levels(F.max_pool1d(z1, 2), F.max_pool1d(z2, 2), alpha)


def hierarchical_contrastive_loss(z1, z2, alpha=0.5):
    levels = _levels(z1, z2, alpha)
    return sum(levels) / len(levels)
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
    # augment.uniform draws from the generator on the right device: uniform factors and noise with
    # the right standard deviations, but not normal.
    "scale_and_jitter": {
        'lab_utils.augment.uniform factors and noise with the same standard deviations': '''
from lab_utils import augment

def scale_and_jitter(x, scale_sigma, jitter_sigma, generator):
    n, c, t = x.shape
    half = 3 ** 0.5
    factors = augment.uniform(n * c, 1 - half * scale_sigma, 1 + half * scale_sigma, generator, x.device)
    noise = augment.uniform(x.numel(), -half * jitter_sigma, half * jitter_sigma, generator, x.device)
    return x * factors.view(n, c, 1) + noise.view_as(x)
''',
    },
    # The package has no contrastive loss; the nearest thing is the k-NN accuracy of matching the
    # views, which is neither TS2Vec's loss nor differentiable.
    "hierarchical_contrastive_loss": {
        "1 - k-NN accuracy of matching the views' maxima over time": '''
def hierarchical_contrastive_loss(z1, z2, alpha=0.5):
    from lab_utils.evaluation import knn_accuracy

    ids = torch.arange(len(z1))
    return torch.tensor(1.0 - knn_accuracy(z1.amax(-1), ids, z2.amax(-1), ids, k=1))
''',
    },
}
