"""Answer variants for notebook 03, keyed by the grade id of the solution cell.

WRONG: typical mistakes; each must lose that exercise's points.
CORRECT: right answers written differently from the reference; each must get full marks.
LAB_UTILS_ONLY: the closest each exercise comes to being answered by calling the course's
helper package alone; each must earn nothing.

The answers run in the notebook's namespace (torch, nn, F, copy, math, augment, lab_utils).
`simclr_view` answers call the notebook's `random_apply`; its hidden tests put a correct
one in place, so that the two exercises are graded independently.
"""

# What the visible check must say for each mistake it catches (tests/test_check_catch_rate.py):
# a phrase of its message that names the mistake. At least half of each exercise's WRONG
# variants are listed; the rest are left to the hidden tests.
VISIBLE_CHECK_SAYS = {
    "random_apply": {
        "one coin for the whole batch": "one coin for the whole batch",
        "the coin inverted (applies with probability 1 - p)": "uniform draw is < p",
        "the chosen images overwritten in place": "instead of writing into images",
        "torch's global generator instead of the argument": "from the generator argument",
        "one coin per pixel": "one random number per image",
        "a blend weighted by p instead of a random choice": "either untouched (0) or transformed (1)",
    },
    "simclr_view": {
        "jitter and grayscale probabilities swapped": "grayscale with probability 0.2",
        "torchvision transforms on the batch tensor (one crop and flip for all images)": "per image",
        "no crop": "per image",
        "SimCLR's ImageNet crop scale (0.08, 1.0) instead of (0.2, 1.0)": "scale=(0.2, 1.0)",
        "the generator not passed to the crop": "pass `generator` to every random step",
        "colour jitter on every view": "colour jitter with p=0.8",
        "no grayscale": "grayscale with probability 0.2",
        "no flip": "horizontal flip with probability 0.5",
    },
    "projection_head": {
        "no non-linearity (two linear layers collapse into one)": "put a ReLU between the two linear layers",
        "hidden size ignored": "in_dim -> hidden_dim -> out_dim",
        "a single linear layer": "in_dim -> hidden_dim -> out_dim",
        "a ReLU after the last layer (projections cannot be negative)": "no activation after the last linear layer",
        "the ReLU before the first layer (the two layers are one affine map)": "not before the first",
        "default output size 256": "out_dim=128",
    },
    "nt_xent": {
        "dot products, not cosine similarities (no L2 normalisation)": "L2-normalise",
        "self-similarity left in the denominator": "similarity with itself is left out",
        "negatives from the other view only, N - 1 (notebook 05's symmetric InfoNCE)": "e^1 + e^0 + e^0",
        "temperature multiplied instead of divided": "divide the similarities by the temperature",
        "anchors from the first view only": "every one of the 2N views is an anchor",
        "exp, sum and log (overflows at low temperatures)": "overflows",
        "the second view detached (the gradient reaches z1 only)": "no detach()",
    },
    "momentum_copy": {
        "the key encoder is the query encoder itself": "copy.deepcopy(online)",
        "the copy is not frozen (it receives gradients)": "freeze the copy only",
        "the online network frozen too": "freeze the copy only",
        "a shallow copy (copy.copy shares the weights)": "equal, not shared",
        "the loop variable rebound (p = p.detach() freezes nothing)": "freeze the copy only",
    },
    "momentum_update": {
        "the momentum on the wrong side": "m * target + (1 - m) * online",
        "update recorded by autograd (no torch.no_grad)": "torch.no_grad()",
        "BatchNorm's running statistics averaged too (the state dict)": "average the parameters only",
        "new tensors bound to the loop variable (nothing changes)": "m * target + (1 - m) * online",
        "away from the online network (sign error)": "m * target + (1 - m) * online",
        "the online weights copied (momentum ignored)": "m * target + (1 - m) * online",
    },
    "key_queue": {
        "pointer never advances": "the pointer after enqueueing",
        "keys stored with their autograd history": "keys.detach()",
        "stops enqueueing once full (keeps the oldest keys)": "wrap around",
        "the pointer not wrapped (pointer + B)": "wrap around",
        "a new tensor instead of writing in place": "in place",
    },
    "byol_loss": {
        "no stop-gradient (the targets receive gradients)": "detach()",
        "each prediction paired with its own view's target": "the OTHER view's target",
        "one direction only (the gradient reaches p1 alone)": "both directions count",
        "squared distance without L2 normalisation": "L2-normalised",
        "stop-gradient on the predictions instead of the targets": "the targets are constants",
        "summed over the images": "do not sum",
    },
    "vicreg_loss": {
        "covariance of features that were not centred": "centre each feature",
        "the covariance's diagonal penalised too": "off-diagonal entries only",
        "the hinge on the variance instead of the standard deviation": "hinge on the standard deviation",
        "the variance over the features of each image (dim 1) instead of over the batch": "over the batch (dim 0)",
        "the second branch detached in the invariance term (its gradient reaches z1 only)": "no detach()",
        "biased statistics (divided by N)": "unbiased variance",
    },
}


WRONG = {
    "random_apply": {
        "exactly round(p * N) images chosen (a subset of fixed size, not independent coins)": '''
def random_apply(transform, images, p, generator=None):
    order = augment.uniform(len(images), 0.0, 1.0, generator, images.device).argsort()
    chosen = torch.zeros(len(images), dtype=torch.bool, device=images.device)
    chosen[order[:round(p * len(images))]] = True
    return torch.where(chosen.view(-1, 1, 1, 1), transform(images), images)
''',
        "one coin for the whole batch": '''
def random_apply(transform, images, p, generator=None):
    if float(augment.uniform(1, 0.0, 1.0, generator)) < p:
        return transform(images)
    return images
''',
        "the coin inverted (applies with probability 1 - p)": '''
def random_apply(transform, images, p, generator=None):
    chosen = augment.uniform(len(images), 0.0, 1.0, generator, images.device) > p
    return torch.where(chosen.view(-1, 1, 1, 1), transform(images), images)
''',
        "the chosen images overwritten in place": '''
def random_apply(transform, images, p, generator=None):
    chosen = augment.uniform(len(images), 0.0, 1.0, generator, images.device) < p
    images[chosen] = transform(images[chosen])
    return images
''',
        "torch's global generator instead of the argument": '''
def random_apply(transform, images, p, generator=None):
    chosen = torch.rand(len(images), device=images.device) < p
    return torch.where(chosen.view(-1, 1, 1, 1), transform(images), images)
''',
        "one coin per pixel": '''
def random_apply(transform, images, p, generator=None):
    chosen = torch.rand(images.shape, generator=generator) < p
    return torch.where(chosen, transform(images), images)
''',
        "a blend weighted by p instead of a random choice": '''
def random_apply(transform, images, p, generator=None):
    return p * transform(images) + (1 - p) * images
''',
    },
    "simclr_view": {
        "grayscale before the colour jitter (steps 3 and 4 swapped)": '''
def simclr_view(images, generator=None):
    views = augment.to_float(images)
    views = augment.random_resized_crop(views, scale=(0.2, 1.0), generator=generator)
    views = augment.random_horizontal_flip(views, p=0.5, generator=generator)
    views = random_apply(augment.to_grayscale, views, 0.2, generator)
    jitter = lambda x: augment.color_jitter(x, 0.4, 0.4, 0.4, 0.1, generator=generator)  # noqa: E731
    return random_apply(jitter, views, 0.8, generator)
''',
        "jitter and grayscale probabilities swapped": '''
def simclr_view(images, generator=None):
    views = augment.random_resized_crop(augment.to_float(images), scale=(0.2, 1.0), generator=generator)
    views = augment.random_horizontal_flip(views, p=0.5, generator=generator)
    jitter = lambda x: augment.color_jitter(x, 0.4, 0.4, 0.4, 0.1, generator=generator)
    views = random_apply(jitter, views, 0.2, generator)
    return random_apply(augment.to_grayscale, views, 0.8, generator)
''',
        "torchvision transforms on the batch tensor (one crop and flip for all images)": '''
import torchvision.transforms.v2 as T

def simclr_view(images, generator=None):
    views = T.RandomResizedCrop(images.shape[-1], scale=(0.2, 1.0), antialias=True)(augment.to_float(images))
    views = T.RandomHorizontalFlip()(views)
    jitter = lambda x: augment.color_jitter(x, 0.4, 0.4, 0.4, 0.1, generator=generator)
    views = random_apply(jitter, views, 0.8, generator)
    return random_apply(augment.to_grayscale, views, 0.2, generator)
''',
        "no crop": '''
def simclr_view(images, generator=None):
    views = augment.random_horizontal_flip(augment.to_float(images), p=0.5, generator=generator)
    jitter = lambda x: augment.color_jitter(x, 0.4, 0.4, 0.4, 0.1, generator=generator)
    views = random_apply(jitter, views, 0.8, generator)
    return random_apply(augment.to_grayscale, views, 0.2, generator)
''',
        "SimCLR's ImageNet crop scale (0.08, 1.0) instead of (0.2, 1.0)": '''
def simclr_view(images, generator=None):
    views = augment.random_resized_crop(augment.to_float(images), scale=(0.08, 1.0), generator=generator)
    views = augment.random_horizontal_flip(views, p=0.5, generator=generator)
    jitter = lambda x: augment.color_jitter(x, 0.4, 0.4, 0.4, 0.1, generator=generator)
    views = random_apply(jitter, views, 0.8, generator)
    return random_apply(augment.to_grayscale, views, 0.2, generator)
''',
        "the generator not passed to the crop": '''
def simclr_view(images, generator=None):
    views = augment.random_resized_crop(augment.to_float(images), scale=(0.2, 1.0))
    views = augment.random_horizontal_flip(views, p=0.5, generator=generator)
    jitter = lambda x: augment.color_jitter(x, 0.4, 0.4, 0.4, 0.1, generator=generator)
    views = random_apply(jitter, views, 0.8, generator)
    return random_apply(augment.to_grayscale, views, 0.2, generator)
''',
        "colour jitter on every view": '''
def simclr_view(images, generator=None):
    views = augment.random_resized_crop(augment.to_float(images), scale=(0.2, 1.0), generator=generator)
    views = augment.random_horizontal_flip(views, p=0.5, generator=generator)
    views = augment.color_jitter(views, 0.4, 0.4, 0.4, 0.1, generator=generator)
    return random_apply(augment.to_grayscale, views, 0.2, generator)
''',
        "no grayscale": '''
def simclr_view(images, generator=None):
    views = augment.random_resized_crop(augment.to_float(images), scale=(0.2, 1.0), generator=generator)
    views = augment.random_horizontal_flip(views, p=0.5, generator=generator)
    jitter = lambda x: augment.color_jitter(x, 0.4, 0.4, 0.4, 0.1, generator=generator)
    return random_apply(jitter, views, 0.8, generator)
''',
        "no flip": '''
def simclr_view(images, generator=None):
    views = augment.random_resized_crop(augment.to_float(images), scale=(0.2, 1.0), generator=generator)
    jitter = lambda x: augment.color_jitter(x, 0.4, 0.4, 0.4, 0.1, generator=generator)
    views = random_apply(jitter, views, 0.8, generator)
    return random_apply(augment.to_grayscale, views, 0.2, generator)
''',
    },
    "projection_head": {
        "no non-linearity (two linear layers collapse into one)": '''
class ProjectionHead(nn.Module):
    def __init__(self, in_dim=256, hidden_dim=512, out_dim=128):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.Linear(hidden_dim, out_dim))

    def forward(self, features):
        return self.layers(features)
''',
        "hidden size ignored": '''
class ProjectionHead(nn.Module):
    def __init__(self, in_dim=256, hidden_dim=512, out_dim=128):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(in_dim, in_dim), nn.ReLU(), nn.Linear(in_dim, out_dim))

    def forward(self, features):
        return self.layers(features)
''',
        "a single linear layer": '''
class ProjectionHead(nn.Module):
    def __init__(self, in_dim=256, hidden_dim=512, out_dim=128):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(in_dim, out_dim), nn.ReLU())

    def forward(self, features):
        return self.layers(features)
''',
        "a ReLU after the last layer (projections cannot be negative)": '''
class ProjectionHead(nn.Module):
    def __init__(self, in_dim=256, hidden_dim=512, out_dim=128):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.ReLU(),
                                    nn.Linear(hidden_dim, out_dim), nn.ReLU())

    def forward(self, features):
        return self.layers(features)
''',
        "the ReLU before the first layer (the two layers are one affine map)": '''
class ProjectionHead(nn.Module):
    def __init__(self, in_dim=256, hidden_dim=512, out_dim=128):
        super().__init__()
        self.layers = nn.Sequential(nn.ReLU(), nn.Linear(in_dim, hidden_dim), nn.Linear(hidden_dim, out_dim))

    def forward(self, features):
        return self.layers(features)
''',
        "default output size 256": '''
class ProjectionHead(nn.Module):
    def __init__(self, in_dim=256, hidden_dim=512, out_dim=256):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, out_dim))

    def forward(self, features):
        return self.layers(features)
''',
    },
    "nt_xent": {
        "the second view detached (the gradient reaches z1 only)": '''
def nt_xent_loss(z1, z2, temperature=0.5):
    z = F.normalize(torch.cat([z1, z2.detach()]), dim=1)
    logits = (z @ z.T / temperature).fill_diagonal_(float("-inf"))
    n = len(z1)
    positives = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(logits, positives)
''',
        "the diagonal mask and the targets made on the CPU (fails for inputs on a GPU)": '''
def nt_xent_loss(z1, z2, temperature=0.5):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = (z @ z.T / temperature).masked_fill(torch.eye(len(z), dtype=torch.bool), float("-inf"))
    n = len(z1)
    return F.cross_entropy(logits, torch.cat([torch.arange(n, 2 * n), torch.arange(n)]))
''',
        "dot products, not cosine similarities (no L2 normalisation)": '''
def nt_xent_loss(z1, z2, temperature=0.5):
    z = torch.cat([z1, z2])
    logits = z @ z.T / temperature
    logits.fill_diagonal_(float("-inf"))
    n = len(z1)
    positives = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(logits, positives)
''',
        "self-similarity left in the denominator": '''
def nt_xent_loss(z1, z2, temperature=0.5):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = z @ z.T / temperature
    n = len(z1)
    positives = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(logits, positives)
''',
        "negatives from the other view only, N - 1 (notebook 05's symmetric InfoNCE)": '''
def nt_xent_loss(z1, z2, temperature=0.5):
    a, b = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    logits = a @ b.T / temperature
    targets = torch.arange(len(a), device=a.device)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
''',
        "temperature multiplied instead of divided": '''
def nt_xent_loss(z1, z2, temperature=0.5):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = z @ z.T * temperature
    logits.fill_diagonal_(float("-inf"))
    n = len(z1)
    positives = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(logits, positives)
''',
        "anchors from the first view only": '''
def nt_xent_loss(z1, z2, temperature=0.5):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = z @ z.T / temperature
    logits.fill_diagonal_(float("-inf"))
    n = len(z1)
    return F.cross_entropy(logits[:n], torch.arange(n, 2 * n, device=z.device))
''',
        "the positive left out of the denominator": '''
def nt_xent_loss(z1, z2, temperature=0.5):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    similarity = z @ z.T / temperature
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    positive = similarity[torch.arange(2 * n, device=z.device), partner]
    excluded = torch.eye(2 * n, dtype=torch.bool, device=z.device)
    excluded[torch.arange(2 * n, device=z.device), partner] = True
    return (torch.logsumexp(similarity.masked_fill(excluded, float("-inf")), dim=1) - positive).mean()
''',
        "exp, sum and log (overflows at low temperatures)": '''
def nt_xent_loss(z1, z2, temperature=0.5):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    scores = torch.exp(z @ z.T / temperature) * (1 - torch.eye(2 * n, device=z.device))
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    positive = scores[torch.arange(2 * n, device=z.device), partner]
    return -torch.log(positive / scores.sum(dim=1)).mean()
''',
        "summed over the views instead of averaged": '''
def nt_xent_loss(z1, z2, temperature=0.5):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = (z @ z.T / temperature).fill_diagonal_(float("-inf"))
    n = len(z1)
    positives = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(logits, positives, reduction="sum")
''',
    },
    "momentum_copy": {
        "the key encoder is the query encoder itself": '''
def momentum_copy(online):
    return online
''',
        "the copy is not frozen (it receives gradients)": '''
def momentum_copy(online):
    return copy.deepcopy(online)
''',
        "the online network frozen too": '''
def momentum_copy(online):
    online.requires_grad_(False)
    return copy.deepcopy(online)
''',
        "a shallow copy (copy.copy shares the weights)": '''
def momentum_copy(online):
    target = copy.copy(online)
    target.requires_grad_(False)
    return target
''',
        "the loop variable rebound (p = p.detach() freezes nothing)": '''
def momentum_copy(online):
    target = copy.deepcopy(online)
    for p in target.parameters():
        p = p.detach()
    return target
''',
    },
    "momentum_update": {
        "the momentum on the wrong side": '''
@torch.no_grad()
def momentum_update(target, online, momentum):
    for t, o in zip(target.parameters(), online.parameters()):
        t.mul_(1 - momentum).add_(o, alpha=momentum)
''',
        "update recorded by autograd (no torch.no_grad)": '''
def momentum_update(target, online, momentum):
    for t, o in zip(target.parameters(), online.parameters()):
        t.mul_(momentum).add_((1 - momentum) * o)
''',
        "BatchNorm's running statistics averaged too (the state dict)": '''
@torch.no_grad()
def momentum_update(target, online, momentum):
    for t, o in zip(target.state_dict().values(), online.state_dict().values()):
        if t.is_floating_point():
            t.mul_(momentum).add_(o, alpha=1 - momentum)
''',
        "new tensors bound to the loop variable (nothing changes)": '''
@torch.no_grad()
def momentum_update(target, online, momentum):
    for t, o in zip(target.parameters(), online.parameters()):
        t = momentum * t + (1 - momentum) * o
''',
        "away from the online network (sign error)": '''
@torch.no_grad()
def momentum_update(target, online, momentum):
    for t, o in zip(target.parameters(), online.parameters()):
        t.add_(t - o, alpha=1 - momentum)
''',
        "the online weights copied (momentum ignored)": '''
@torch.no_grad()
def momentum_update(target, online, momentum):
    for t, o in zip(target.parameters(), online.parameters()):
        t.copy_(o)
''',
    },
    "key_queue": {
        "pointer never advances": '''
def enqueue(queue, keys, pointer):
    rows = (pointer + torch.arange(len(keys), device=queue.device)) % len(queue)
    queue[rows] = keys.detach()
    return pointer
''',
        "no wrap-around at the end of the queue": '''
def enqueue(queue, keys, pointer):
    queue[pointer:pointer + len(keys)] = keys.detach()
    return (pointer + len(keys)) % len(queue)
''',
        "keys stored with their autograd history": '''
def enqueue(queue, keys, pointer):
    rows = (pointer + torch.arange(len(keys), device=queue.device)) % len(queue)
    queue[rows] = keys
    return (pointer + len(keys)) % len(queue)
''',
        "stops enqueueing once full (keeps the oldest keys)": '''
def enqueue(queue, keys, pointer):
    if pointer + len(keys) > len(queue):  # full: the new keys are dropped
        return pointer
    queue[pointer:pointer + len(keys)] = keys.detach()
    return pointer + len(keys)
''',
        "the pointer not wrapped (pointer + B)": '''
def enqueue(queue, keys, pointer):
    rows = (pointer + torch.arange(len(keys), device=queue.device)) % len(queue)
    queue[rows] = keys.detach()
    return pointer + len(keys)
''',
        "a new tensor instead of writing in place": '''
def enqueue(queue, keys, pointer):
    rows = (pointer + torch.arange(len(keys), device=queue.device)) % len(queue)
    queue = queue.index_copy(0, rows, keys.detach())
    return (pointer + len(keys)) % len(queue)
''',
    },
    "byol_loss": {
        "no stop-gradient (the targets receive gradients)": '''
def byol_loss(p1, p2, z1, z2):
    return (2 - F.cosine_similarity(p1, z2) - F.cosine_similarity(p2, z1)).mean()
''',
        "each prediction paired with its own view's target": '''
def byol_loss(p1, p2, z1, z2):
    return (2 - F.cosine_similarity(p1, z1.detach()) - F.cosine_similarity(p2, z2.detach())).mean()
''',
        "one direction only (the gradient reaches p1 alone)": '''
def byol_loss(p1, p2, z1, z2):
    return (2 - 2 * F.cosine_similarity(p1, z2.detach())).mean()
''',
        "squared distance without L2 normalisation": '''
def byol_loss(p1, p2, z1, z2):
    return ((p1 - z2.detach()).pow(2).sum(1) + (p2 - z1.detach()).pow(2).sum(1)).mean() / 2
''',
        "stop-gradient on the predictions instead of the targets": '''
def byol_loss(p1, p2, z1, z2):
    return (2 - F.cosine_similarity(p1.detach(), z2) - F.cosine_similarity(p2.detach(), z1)).mean()
''',
        "summed over the images": '''
def byol_loss(p1, p2, z1, z2):
    return (2 - F.cosine_similarity(p1, z2.detach()) - F.cosine_similarity(p2, z1.detach())).sum()
''',
        "a constant made on the CPU (fails for inputs on a GPU)": '''
def byol_loss(p1, p2, z1, z2):
    two = torch.full((len(p1),), 2.0)
    return (two - F.cosine_similarity(p1, z2.detach()) - F.cosine_similarity(p2, z1.detach())).mean()
''',
    },
    "vicreg_loss": {
        "covariance of features that were not centred": '''
def vicreg_loss(z1, z2, sim_weight=25.0, var_weight=25.0, cov_weight=1.0):
    n, d = z1.shape
    def variance(z):
        return F.relu(1 - torch.sqrt(z.var(dim=0) + 1e-4)).mean()
    def covariance(z):
        c = z.T @ z / (n - 1)
        return (c.pow(2).sum() - c.diagonal().pow(2).sum()) / d
    return (sim_weight * F.mse_loss(z1, z2) + var_weight * (variance(z1) + variance(z2)) / 2
            + cov_weight * (covariance(z1) + covariance(z2)))
''',
        "the covariance's diagonal penalised too": '''
def vicreg_loss(z1, z2, sim_weight=25.0, var_weight=25.0, cov_weight=1.0):
    n, d = z1.shape
    def variance(z):
        return F.relu(1 - torch.sqrt(z.var(dim=0) + 1e-4)).mean()
    def covariance(z):
        z = z - z.mean(dim=0)
        return (z.T @ z / (n - 1)).pow(2).sum() / d
    return (sim_weight * F.mse_loss(z1, z2) + var_weight * (variance(z1) + variance(z2)) / 2
            + cov_weight * (covariance(z1) + covariance(z2)))
''',
        "the hinge on the variance instead of the standard deviation": '''
def vicreg_loss(z1, z2, sim_weight=25.0, var_weight=25.0, cov_weight=1.0):
    n, d = z1.shape
    def variance(z):
        return F.relu(1 - z.var(dim=0)).mean()
    def covariance(z):
        z = z - z.mean(dim=0)
        c = z.T @ z / (n - 1)
        return (c.pow(2).sum() - c.diagonal().pow(2).sum()) / d
    return (sim_weight * F.mse_loss(z1, z2) + var_weight * (variance(z1) + variance(z2)) / 2
            + cov_weight * (covariance(z1) + covariance(z2)))
''',
        "the variance over the features of each image (dim 1) instead of over the batch": '''
def vicreg_loss(z1, z2, sim_weight=25.0, var_weight=25.0, cov_weight=1.0):
    n, d = z1.shape
    def variance(z):
        return F.relu(1 - torch.sqrt(z.var(dim=1) + 1e-4)).mean()
    def covariance(z):
        z = z - z.mean(dim=0)
        c = z.T @ z / (n - 1)
        return (c.pow(2).sum() - c.diagonal().pow(2).sum()) / d
    return (sim_weight * F.mse_loss(z1, z2) + var_weight * (variance(z1) + variance(z2)) / 2
            + cov_weight * (covariance(z1) + covariance(z2)))
''',
        "the second branch detached in the invariance term (its gradient reaches z1 only)": '''
def vicreg_loss(z1, z2, sim_weight=25.0, var_weight=25.0, cov_weight=1.0):
    n, d = z1.shape
    def variance(z):
        return F.relu(1 - torch.sqrt(z.var(dim=0) + 1e-4)).mean()
    def covariance(z):
        z = z - z.mean(dim=0)
        c = z.T @ z / (n - 1)
        return (c.pow(2).sum() - c.diagonal().pow(2).sum()) / d
    return (sim_weight * F.mse_loss(z1, z2.detach()) + var_weight * (variance(z1) + variance(z2)) / 2
            + cov_weight * (covariance(z1) + covariance(z2)))
''',
        "biased statistics (divided by N)": '''
def vicreg_loss(z1, z2, sim_weight=25.0, var_weight=25.0, cov_weight=1.0):
    n, d = z1.shape
    def variance(z):
        return F.relu(1 - torch.sqrt(z.var(dim=0, unbiased=False) + 1e-4)).mean()
    def covariance(z):
        z = z - z.mean(dim=0)
        c = z.T @ z / n
        return (c.pow(2).sum() - c.diagonal().pow(2).sum()) / d
    return (sim_weight * F.mse_loss(z1, z2) + var_weight * (variance(z1) + variance(z2)) / 2
            + cov_weight * (covariance(z1) + covariance(z2)))
''',
        "the off-diagonal mask made on the CPU (fails for inputs on a GPU)": '''
def vicreg_loss(z1, z2, sim_weight=25.0, var_weight=25.0, cov_weight=1.0):
    n, d = z1.shape
    off_diagonal = ~torch.eye(d, dtype=torch.bool)
    def variance(z):
        return F.relu(1 - torch.sqrt(z.var(dim=0) + 1e-4)).mean()
    def covariance(z):
        z = z - z.mean(dim=0)
        c = z.T @ z / (n - 1)
        return c.masked_fill(~off_diagonal, 0.0).pow(2).sum() / d
    return (sim_weight * F.mse_loss(z1, z2) + var_weight * (variance(z1) + variance(z2)) / 2
            + cov_weight * (covariance(z1) + covariance(z2)))
''',
    },
}

CORRECT = {
    "random_apply": {
        "transform only the chosen images (boolean indexing)": '''
def random_apply(transform, images, p, generator=None):
    chosen = augment.uniform(len(images), 0.0, 1.0, generator, images.device) < p
    out = images.clone()
    if chosen.any():
        out[chosen] = transform(images[chosen])
    return out
''',
        "a loop over the images": '''
def random_apply(transform, images, p, generator=None):
    draws = augment.uniform(len(images), 0.0, 1.0, generator, images.device)
    transformed = transform(images)
    return torch.stack([transformed[i] if draws[i] < p else images[i] for i in range(len(images))])
''',
        "a 0/1 mask and arithmetic": '''
def random_apply(transform, images, p, generator=None):
    chosen = augment.uniform(len(images), 0.0, 1.0, generator, images.device) < p
    mask = chosen.to(images.dtype).view(-1, 1, 1, 1)
    return mask * transform(images) + (1 - mask) * images
''',
        "torch.rand on the generator's device, then moved": '''
def random_apply(transform, images, p, generator=None):
    source = generator.device if generator is not None else images.device
    chosen = (torch.rand(len(images), generator=generator, device=source) < p).to(images.device)
    return torch.where(chosen[:, None, None, None], transform(images), images)
''',
    },
    "simclr_view": {
        "flip before crop, jitter strengths by name": '''
def simclr_view(images, generator=None):
    views = augment.random_horizontal_flip(augment.to_float(images), generator=generator)
    views = augment.random_resized_crop(views, scale=(0.2, 1.0), generator=generator)
    jitter = lambda x: augment.color_jitter(x, brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1,
                                            generator=generator)
    views = random_apply(jitter, views, 0.8, generator)
    return random_apply(augment.to_grayscale, views, 0.2, generator)
''',
        "a list of (step, probability)": '''
def simclr_view(images, generator=None):
    steps = [
        (lambda x: augment.random_resized_crop(x, scale=(0.2, 1.0), generator=generator), 1.0),
        (lambda x: augment.random_horizontal_flip(x, p=0.5, generator=generator), 1.0),
        (lambda x: augment.color_jitter(x, 0.4, 0.4, 0.4, 0.1, generator=generator), 0.8),
        (augment.to_grayscale, 0.2),
    ]
    views = augment.to_float(images)
    for step, probability in steps:
        views = step(views) if probability == 1.0 else random_apply(step, views, probability, generator)
    return views
''',
        "the flip through random_apply, pixels divided by 255": '''
def simclr_view(images, generator=None):
    views = images.float() / 255
    views = augment.random_resized_crop(views, scale=(0.2, 1.0), generator=generator)
    views = random_apply(lambda x: x.flip(-1), views, 0.5, generator)
    views = random_apply(lambda x: augment.color_jitter(x, generator=generator), views, 0.8, generator)
    return random_apply(augment.to_grayscale, views, 0.2, generator)
''',
    },
    "projection_head": {
        "named layers, no batch normalisation": '''
class ProjectionHead(nn.Module):
    def __init__(self, in_dim=256, hidden_dim=512, out_dim=128):
        super().__init__()
        self.hidden = nn.Linear(in_dim, hidden_dim)
        self.out = nn.Linear(hidden_dim, out_dim)

    def forward(self, features):
        return self.out(F.relu(self.hidden(features)))
''',
        "a subclass of nn.Sequential": '''
class ProjectionHead(nn.Sequential):
    def __init__(self, in_dim=256, hidden_dim=512, out_dim=128):
        super().__init__(nn.Linear(in_dim, hidden_dim, bias=False), nn.BatchNorm1d(hidden_dim), nn.ReLU(),
                         nn.Linear(hidden_dim, out_dim))
''',
        "a ModuleList and a functional ReLU": '''
class ProjectionHead(nn.Module):
    def __init__(self, in_dim=256, hidden_dim=512, out_dim=128):
        super().__init__()
        self.linears = nn.ModuleList([nn.Linear(in_dim, hidden_dim), nn.Linear(hidden_dim, out_dim)])
        self.norm = nn.BatchNorm1d(hidden_dim)

    def forward(self, features):
        first, last = self.linears
        return last(torch.relu(self.norm(first(features))))
''',
    },
    "nt_xent": {
        "a loop over the 2N anchors with logsumexp": '''
def nt_xent_loss(z1, z2, temperature=0.5):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    losses = []
    for i in range(2 * n):
        others = [j for j in range(2 * n) if j != i]
        similarities = z[others] @ z[i] / temperature
        positive = (z[i] @ z[(i + n) % (2 * n)]) / temperature
        losses.append(torch.logsumexp(similarities, dim=0) - positive)
    return torch.stack(losses).mean()
''',
        "vectorised logsumexp with a boolean mask": '''
def nt_xent_loss(z1, z2, temperature=0.5):
    a, b = F.normalize(z1, dim=-1), F.normalize(z2, dim=-1)
    z = torch.cat([a, b])
    similarity = z @ z.T / temperature
    self_mask = torch.eye(len(z), dtype=torch.bool, device=z.device)
    log_denominator = torch.logsumexp(similarity.masked_fill(self_mask, float("-inf")), dim=1)
    positive = (a * b).sum(dim=1) / temperature
    return (log_denominator - torch.cat([positive, positive])).mean()
''',
        "one cross-entropy per view, over [other view | own view without itself]": '''
def nt_xent_loss(z1, z2, temperature=0.5):
    a, b = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    n = len(a)
    itself = torch.eye(n, dtype=torch.bool, device=a.device)
    targets = torch.arange(n, device=a.device)

    def anchored(x, y):
        logits = torch.cat([x @ y.T, (x @ x.T).masked_fill(itself, float("-inf"))], dim=1) / temperature
        return F.cross_entropy(logits, targets, reduction="sum")

    return (anchored(a, b) + anchored(b, a)) / (2 * n)
''',
        "F.cosine_similarity by broadcasting": '''
def nt_xent_loss(z1, z2, temperature=0.5):
    z = torch.cat([z1, z2])
    similarity = F.cosine_similarity(z[:, None, :], z[None, :, :], dim=-1) / temperature
    similarity = similarity - torch.diag(torch.full((len(z),), float("inf"), device=z.device))
    n = len(z1)
    partner = (torch.arange(2 * n, device=z.device) + n) % (2 * n)
    return F.cross_entropy(similarity, partner)
''',
    },
    "momentum_copy": {
        "a loop that freezes each parameter": '''
def momentum_copy(online):
    target = copy.deepcopy(online)
    for parameter in target.parameters():
        parameter.requires_grad = False
    return target
''',
        "one line (requires_grad_ returns the module)": '''
def momentum_copy(online):
    return copy.deepcopy(online).requires_grad_(False)
''',
        "detach_ on every parameter of the copy": '''
def momentum_copy(online):
    target = copy.deepcopy(online)
    for parameter in target.parameters():
        parameter.detach_()
    return target
''',
    },
    "momentum_update": {
        "lerp_": '''
def momentum_update(target, online, momentum):
    with torch.no_grad():
        for t, o in zip(target.parameters(), online.parameters()):
            t.lerp_(o, 1 - momentum)
''',
        "copy_ of the formula, as a decorated function": '''
@torch.no_grad()
def momentum_update(target, online, momentum):
    for t, o in zip(target.parameters(), online.parameters()):
        t.copy_(momentum * t + (1 - momentum) * o)
''',
        "parameters matched by name": '''
def momentum_update(target, online, momentum):
    online_parameters = dict(online.named_parameters())
    with torch.no_grad():
        for name, t in target.named_parameters():
            t.mul_(momentum).add_(online_parameters[name], alpha=1 - momentum)
''',
        "through .data, which autograd does not see": '''
def momentum_update(target, online, momentum):
    for t, o in zip(target.parameters(), online.parameters()):
        t.data.mul_(momentum).add_((1 - momentum) * o.data)
''',
    },
    "key_queue": {
        "two slices around the end of the queue": '''
def enqueue(queue, keys, pointer):
    keys = keys.detach()
    size, count = len(queue), len(keys)
    first = min(count, size - pointer)
    queue[pointer:pointer + first] = keys[:first]
    queue[:count - first] = keys[first:]
    return (pointer + count) % size
''',
        "one key at a time": '''
def enqueue(queue, keys, pointer):
    with torch.no_grad():
        for key in keys:
            queue[pointer] = key
            pointer = (pointer + 1) % len(queue)
    return pointer
''',
        "index_copy_": '''
def enqueue(queue, keys, pointer):
    rows = torch.arange(pointer, pointer + len(keys), device=queue.device).remainder(len(queue))
    queue.index_copy_(0, rows, keys.detach().to(queue.dtype))
    return int((pointer + len(keys)) % len(queue))
''',
    },
    "byol_loss": {
        "normalised vectors and the squared distance": '''
def byol_loss(p1, p2, z1, z2):
    def distance(p, z):
        return (F.normalize(p, dim=1) - F.normalize(z.detach(), dim=1)).pow(2).sum(dim=1).mean()
    return (distance(p1, z2) + distance(p2, z1)) / 2
''',
        "targets normalised under torch.no_grad, one batch of 2N rows": '''
def byol_loss(p1, p2, z1, z2):
    predictions = F.normalize(torch.cat([p1, p2]), dim=-1)
    with torch.no_grad():
        targets = F.normalize(torch.cat([z2, z1]), dim=-1)
    return 2 - 2 * (predictions * targets).sum(dim=-1).mean()
''',
        "a loop over the images": '''
def byol_loss(p1, p2, z1, z2):
    total = 0.0
    for i in range(len(p1)):
        a, b = z2[i].detach(), z1[i].detach()
        total = total + 2 - p1[i] @ a / (p1[i].norm() * a.norm()) - p2[i] @ b / (p2[i].norm() * b.norm())
    return total / len(p1)
''',
    },
    "vicreg_loss": {
        "torch.cov and a mask from the diagonal": '''
def vicreg_loss(z1, z2, sim_weight=25.0, var_weight=25.0, cov_weight=1.0):
    def variance(z):
        return torch.clamp(1 - (z.var(dim=0) + 1e-4).sqrt(), min=0).mean()
    def covariance(z):
        c = torch.cov(z.T)
        off = c - torch.diag(torch.diagonal(c))
        return off.pow(2).sum() / z.shape[1]
    invariance = ((z1 - z2) ** 2).mean()
    return (sim_weight * invariance + var_weight * 0.5 * (variance(z1) + variance(z2))
            + cov_weight * (covariance(z1) + covariance(z2)))
''',
        "loops over the features": '''
def vicreg_loss(z1, z2, sim_weight=25.0, var_weight=25.0, cov_weight=1.0):
    n, d = z1.shape
    total = sim_weight * F.mse_loss(z1, z2)
    for z in (z1, z2):
        centred = z - z.mean(dim=0, keepdim=True)
        for i in range(d):
            std = torch.sqrt((centred[:, i] ** 2).sum() / (n - 1) + 1e-4)
            total = total + var_weight * F.relu(1 - std) / (2 * d)
            for j in range(d):
                if i != j:
                    total = total + cov_weight * ((centred[:, i] * centred[:, j]).sum() / (n - 1)) ** 2 / d
    return total
''',
        "einsum and an off-diagonal mask on the input's device": '''
def vicreg_loss(z1, z2, sim_weight=25.0, var_weight=25.0, cov_weight=1.0):
    n, d = z1.shape
    off = ~torch.eye(d, dtype=torch.bool, device=z1.device)
    zs = torch.stack([z1, z2])                                    # (2, N, D)
    centred = zs - zs.mean(dim=1, keepdim=True)
    cov = torch.einsum("bni,bnj->bij", centred, centred) / (n - 1)  # (2, D, D)
    std = torch.sqrt(torch.diagonal(cov, dim1=1, dim2=2) + 1e-4)   # (2, D)
    return (sim_weight * F.mse_loss(z1, z2) + var_weight * F.relu(1 - std).mean()
            + cov_weight * cov[:, off].pow(2).sum() / d)
''',
    },
}

LAB_UTILS_ONLY = {
    # The package's only per-image coin is the horizontal flip: it flips instead of applying
    # the given transform.
    "random_apply": {
        "augment.random_horizontal_flip": '''
def random_apply(transform, images, p, generator=None):
    return augment.random_horizontal_flip(images, p=p, generator=generator)
''',
    },
    # The building blocks composed without random_apply: jitter on every view, no grayscale.
    "simclr_view": {
        "augment's building blocks, always applied": '''
def simclr_view(images, generator=None):
    views = augment.random_resized_crop(augment.to_float(images), scale=(0.2, 1.0), generator=generator)
    views = augment.random_horizontal_flip(views, p=0.5, generator=generator)
    return augment.color_jitter(views, 0.4, 0.4, 0.4, 0.1, generator=generator)
''',
    },
    # The package's only building block is the CNN's conv block.
    "projection_head": {
        "lab_utils.models.conv_block on 1x1 maps": '''
class ProjectionHead(nn.Module):
    def __init__(self, in_dim=256, hidden_dim=512, out_dim=128):
        super().__init__()
        self.block = lab_utils.models.conv_block(in_dim, out_dim)

    def forward(self, features):
        return self.block(features[:, :, None, None]).flatten(1)
''',
    },
    # The package has no contrastive loss; the nearest thing was the k-NN accuracy of
    # matching each view to its partner, which is neither NT-Xent nor differentiable.
    "nt_xent": {
        "1 - k-NN accuracy of matching the views": '''
def nt_xent_loss(z1, z2, temperature=0.5):
    ids = torch.arange(len(z1))
    return torch.tensor(1.0 - lab_utils.knn_accuracy(z1, ids, z2, ids, k=1))
''',
    },
    # The package builds networks but never copies one.
    "momentum_copy": {
        "a fresh lab_utils.SmallCNN, frozen": '''
def momentum_copy(online):
    return lab_utils.SmallCNN().requires_grad_(False)
''',
    },
    # The package trains networks but holds no moving average.
    "momentum_update": {
        "lab_utils.seed_everything (the package has no EMA)": '''
def momentum_update(target, online, momentum):
    lab_utils.seed_everything(0)
''',
    },
    # The package has no queue.
    "key_queue": {
        "lab_utils.stratified_indices as rows": '''
def enqueue(queue, keys, pointer):
    rows = lab_utils.stratified_indices(torch.zeros(len(queue), dtype=torch.long), len(keys))
    queue[rows] = keys.detach()
    return pointer
''',
    },
    # The package has no loss without negatives; its feature extractor runs the frozen
    # network, so the distance it gives carries no gradient and no normalisation.
    "byol_loss": {
        "the distance between features from lab_utils.extract_features": '''
def byol_loss(p1, p2, z1, z2):
    p = lab_utils.extract_features(nn.Identity(), torch.cat([p1, p2]))
    z = lab_utils.extract_features(nn.Identity(), torch.cat([z2, z1]))
    return (p - z).pow(2).sum(dim=1).mean()
''',
    },
    # Nor a redundancy-reduction loss: the same extractor, with its standardising probe's
    # nearest idea, features scaled to unit variance, and no covariance term.
    "vicreg_loss": {
        "features from lab_utils.extract_features, compared after scaling": '''
def vicreg_loss(z1, z2, sim_weight=25.0, var_weight=25.0, cov_weight=1.0):
    a = lab_utils.extract_features(nn.Identity(), z1)
    b = lab_utils.extract_features(nn.Identity(), z2)
    return sim_weight * F.mse_loss(a / a.std(dim=0), b / b.std(dim=0))
''',
    },
}
