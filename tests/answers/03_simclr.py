"""Answer variants for notebook 03, keyed by the grade id of the solution cell.

WRONG: typical mistakes; each must lose that exercise's points.
CORRECT: right answers written differently from the reference; each must get full marks.
"""

_VIEW = '''
def simclr_view(images, generator=None):
    views = augment.random_resized_crop(augment.to_float(images), scale=(0.2, 1.0), generator=generator)
    views = augment.random_horizontal_flip(views, p=0.5, generator=generator)
    jitter = lambda x: augment.color_jitter(x, 0.4, 0.4, 0.4, 0.1, generator=generator)
    views = random_apply(jitter, views, 0.8, generator)
    return random_apply(augment.to_grayscale, views, 0.2, generator)
'''

_RANDOM_APPLY = '''
def random_apply(transform, images, p, generator=None):
    chosen = augment.uniform(len(images), 0.0, 1.0, generator, images.device) < p
    return torch.where(chosen.view(-1, 1, 1, 1), transform(images), images)
'''

WRONG = {
    "augmentation": {
        "one coin for the whole batch": '''
def random_apply(transform, images, p, generator=None):
    if float(augment.uniform(1, 0.0, 1.0, generator)) < p:
        return transform(images)
    return images
''' + _VIEW,
        "the coin inverted (applies with probability 1 - p)": '''
def random_apply(transform, images, p, generator=None):
    chosen = augment.uniform(len(images), 0.0, 1.0, generator, images.device) > p
    return torch.where(chosen.view(-1, 1, 1, 1), transform(images), images)
''' + _VIEW,
        "jitter and grayscale probabilities swapped": _RANDOM_APPLY + '''
def simclr_view(images, generator=None):
    views = augment.random_resized_crop(augment.to_float(images), scale=(0.2, 1.0), generator=generator)
    views = augment.random_horizontal_flip(views, p=0.5, generator=generator)
    jitter = lambda x: augment.color_jitter(x, 0.4, 0.4, 0.4, 0.1, generator=generator)
    views = random_apply(jitter, views, 0.2, generator)
    return random_apply(augment.to_grayscale, views, 0.8, generator)
''',
        "torchvision transforms on the batch tensor (one crop and flip for all images)": _RANDOM_APPLY + '''
import torchvision.transforms.v2 as T

def simclr_view(images, generator=None):
    views = T.RandomResizedCrop(images.shape[-1], scale=(0.2, 1.0), antialias=True)(augment.to_float(images))
    views = T.RandomHorizontalFlip()(views)
    jitter = lambda x: augment.color_jitter(x, 0.4, 0.4, 0.4, 0.1, generator=generator)
    views = random_apply(jitter, views, 0.8, generator)
    return random_apply(augment.to_grayscale, views, 0.2, generator)
''',
        "no crop": _RANDOM_APPLY + '''
def simclr_view(images, generator=None):
    views = augment.random_horizontal_flip(augment.to_float(images), p=0.5, generator=generator)
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
    },
    "nt_xent": {
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
        "negatives from the other view only (N - 1, not 2N - 2)": '''
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
    },
    "momentum_encoder": {
        "the momentum on the wrong side": '''
def momentum_copy(online):
    target = copy.deepcopy(online)
    target.requires_grad_(False)
    return target


@torch.no_grad()
def momentum_update(target, online, momentum):
    for t, o in zip(target.parameters(), online.parameters()):
        t.mul_(1 - momentum).add_(o, alpha=momentum)
''',
        "the key encoder is the query encoder itself": '''
def momentum_copy(online):
    return online


@torch.no_grad()
def momentum_update(target, online, momentum):
    for t, o in zip(target.parameters(), online.parameters()):
        t.mul_(momentum).add_(o, alpha=1 - momentum)
''',
        "the copy is not frozen (it receives gradients)": '''
def momentum_copy(online):
    return copy.deepcopy(online)


@torch.no_grad()
def momentum_update(target, online, momentum):
    for t, o in zip(target.parameters(), online.parameters()):
        t.mul_(momentum).add_(o, alpha=1 - momentum)
''',
        "update recorded by autograd (no torch.no_grad)": '''
def momentum_copy(online):
    target = copy.deepcopy(online)
    target.requires_grad_(False)
    return target


def momentum_update(target, online, momentum):
    for t, o in zip(target.parameters(), online.parameters()):
        t.mul_(momentum).add_((1 - momentum) * o)
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
    },
}

CORRECT = {
    "augmentation": {
        "transform only the chosen images (boolean indexing), flip before crop": '''
def random_apply(transform, images, p, generator=None):
    source = generator.device if generator is not None else images.device
    chosen = (torch.rand(len(images), generator=generator, device=source) < p).to(images.device)
    out = images.clone()
    if chosen.any():
        out[chosen] = transform(images[chosen])
    return out


def simclr_view(images, generator=None):
    views = augment.random_horizontal_flip(augment.to_float(images), generator=generator)
    views = augment.random_resized_crop(views, scale=(0.08, 1.0), generator=generator)
    views = random_apply(lambda x: augment.color_jitter(x, generator=generator), views, 0.8, generator)
    views = random_apply(augment.to_grayscale, views, 0.2, generator)
    return views
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
    },
    "momentum_encoder": {
        "lerp over state-dict tensors; freezing by a loop": '''
def momentum_copy(online):
    target = copy.deepcopy(online)
    for parameter in target.parameters():
        parameter.requires_grad = False
    return target


def momentum_update(target, online, momentum):
    with torch.no_grad():
        for t, o in zip(target.parameters(), online.parameters()):
            t.lerp_(o, 1 - momentum)
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
    },
}
