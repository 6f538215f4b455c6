"""Answer variants for notebook 04, keyed by the grade id of the solution cell.

WRONG: typical mistakes; each must lose that exercise's points.
CORRECT: right answers written differently from the reference; each must get full marks.
LAB_UTILS_ONLY: the closest each exercise comes to being answered by calling the course's
helper package alone; each must earn nothing.

The answers run in the notebook's namespace (math, np, torch, F, lab_utils, vit, ...).
"""

# What the visible check must say for each mistake it catches (tests/test_check_catch_rate.py):
# a phrase of its message that names the mistake. At least half of each exercise's WRONG
# variants are listed; the rest are left to the hidden tests.
VISIBLE_CHECK_SAYS = {
    "random_masking": {
        "one mask for the whole batch": "for every image, not one for the batch",
        "keeps the mask ratio instead of hiding it": "keep int(num_patches * (1 - mask_ratio))",
        "ids_restore is the shuffle, not its inverse": "ids_restore is the inverse of the shuffle",
        "ignores the generator": "from the `generator` argument",
        "rounds the number of visible patches": "keep int(",
        "mask marks the visible patches": "hidden patches per image",
        "a boolean mask, not float32": "float",
        "kept indices sorted, but ids_restore from the unsorted shuffle": "ids_restore is the inverse",
    },
    "attention_foreground": {
        "first head only": "average over the heads first",
        "normalised over the whole batch": "each image is normalised by its own total",
        "no normalisation (raw attention summed up to mass)": "each image is normalised by its own total",
        "the maximum over the heads instead of the mean": "keep no more patches than needed",
        "a float mask, not bool": "torch.bool",
    },
    "knn_predict": {
        "Euclidean distance": "cosine of the angle, not a distance",
        "dot product without normalising": "L2-normalise both sides",
        "unweighted majority vote": "votes with its cosine similarity",
        "only the test features normalised": "L2-normalise both sides",
    },
    "patchify": {
        "a plain reshape (pixels from different places in one patch)": "a patch holds a p x p square",
        "channels first inside a patch (F.unfold's order)": "the channels of a pixel next to each other",
        "F.unfold without the transpose (N, P, L)": "(N, L, p * p * C)",
        "patches column by column": "patches go row by row",
        "rows and columns swapped inside a patch": "row by row",
    },
    "masked_patch_loss": {
        "every patch scored (the mask ignored)": "hidden patches only",
        "the visible patches scored (mask read the wrong way round)": "mask 1.0 marks a HIDDEN patch",
        "norm_pix over the patches (dim 1) instead of within each patch": "not over the patches",
        "norm_pix_loss ignored": "norm_pix_loss=True standardises",
        "the biased variance in norm_pix": "unbiased variance",
        "averaged image by image, then over the images": "all hidden patches of the batch together",
        "squared errors summed over a patch's values": "averages over its P values, not sums",
    },
    "dino_loss": {
        "centred with this batch's mean instead of the EMA centre": "not with this batch's mean",
        "no stop-gradient on the teacher": "teacher_logits.detach()",
        "a view compared with itself (same-view pairs kept)": "the same teacher view",
        "the temperatures swapped (the student sharpened, the teacher softened)": "the student at temperature 0.1",
        "the centre's momentum on the batch mean": "weighs the OLD centre",
        "the cross-entropy reversed (student probabilities, teacher log-probabilities)": "-sum_k P_teacher log P_student",
        "the new centre keeps the teacher's autograd history": "no autograd history",
    },
}


WRONG = {
    "random_masking": {
        "one mask for the whole batch": '''
def random_masking(batch_size, num_patches, mask_ratio, generator=None):
    num_keep = int(num_patches * (1 - mask_ratio))
    noise = torch.rand(1, num_patches, generator=generator).expand(batch_size, -1)
    ids_shuffle = noise.argsort(dim=1)
    ids_restore = ids_shuffle.argsort(dim=1)
    return ids_shuffle[:, :num_keep], ids_restore, (ids_restore >= num_keep).float()
''',
        "keeps the mask ratio instead of hiding it": '''
def random_masking(batch_size, num_patches, mask_ratio, generator=None):
    num_keep = int(num_patches * mask_ratio)
    ids_shuffle = torch.rand(batch_size, num_patches, generator=generator).argsort(dim=1)
    ids_restore = ids_shuffle.argsort(dim=1)
    return ids_shuffle[:, :num_keep], ids_restore, (ids_restore >= num_keep).float()
''',
        "ids_restore is the shuffle, not its inverse": '''
def random_masking(batch_size, num_patches, mask_ratio, generator=None):
    num_keep = int(num_patches * (1 - mask_ratio))
    ids_shuffle = torch.rand(batch_size, num_patches, generator=generator).argsort(dim=1)
    mask = torch.ones(batch_size, num_patches)
    mask.scatter_(1, ids_shuffle[:, :num_keep], 0.0)
    return ids_shuffle[:, :num_keep], ids_shuffle, mask
''',
        "ignores the generator": '''
def random_masking(batch_size, num_patches, mask_ratio, generator=None):
    num_keep = int(num_patches * (1 - mask_ratio))
    ids_shuffle = torch.rand(batch_size, num_patches).argsort(dim=1)
    ids_restore = ids_shuffle.argsort(dim=1)
    return ids_shuffle[:, :num_keep], ids_restore, (ids_restore >= num_keep).float()
''',
        "rounds the number of visible patches": '''
def random_masking(batch_size, num_patches, mask_ratio, generator=None):
    num_keep = round(num_patches * (1 - mask_ratio))
    ids_shuffle = torch.rand(batch_size, num_patches, generator=generator).argsort(dim=1)
    ids_restore = ids_shuffle.argsort(dim=1)
    return ids_shuffle[:, :num_keep], ids_restore, (ids_restore >= num_keep).float()
''',
        "mask marks the visible patches": '''
def random_masking(batch_size, num_patches, mask_ratio, generator=None):
    num_keep = int(num_patches * (1 - mask_ratio))
    ids_shuffle = torch.rand(batch_size, num_patches, generator=generator).argsort(dim=1)
    ids_restore = ids_shuffle.argsort(dim=1)
    return ids_shuffle[:, :num_keep], ids_restore, (ids_restore < num_keep).float()
''',
        "a boolean mask, not float32": '''
def random_masking(batch_size, num_patches, mask_ratio, generator=None):
    num_keep = int(num_patches * (1 - mask_ratio))
    ids_shuffle = torch.rand(batch_size, num_patches, generator=generator).argsort(dim=1)
    ids_restore = ids_shuffle.argsort(dim=1)
    return ids_shuffle[:, :num_keep], ids_restore, ids_restore >= num_keep
''',
        "the mask read from the shuffle instead of the restore order": '''
def random_masking(batch_size, num_patches, mask_ratio, generator=None):
    num_keep = int(num_patches * (1 - mask_ratio))
    ids_shuffle = torch.rand(batch_size, num_patches, generator=generator).argsort(dim=1)
    ids_restore = ids_shuffle.argsort(dim=1)
    return ids_shuffle[:, :num_keep], ids_restore, (ids_shuffle >= num_keep).float()
''',
        "kept indices sorted, but ids_restore from the unsorted shuffle": '''
def random_masking(batch_size, num_patches, mask_ratio, generator=None):
    num_keep = int(num_patches * (1 - mask_ratio))
    ids_shuffle = torch.rand(batch_size, num_patches, generator=generator).argsort(dim=1)
    ids_restore = ids_shuffle.argsort(dim=1)
    ids_keep = ids_shuffle[:, :num_keep].sort(dim=1).values
    return ids_keep, ids_restore, (ids_restore >= num_keep).float()
''',
    },
    "attention_foreground": {
        "first head only": '''
def attention_foreground(attention, mass=0.6):
    first = attention[:, 0]
    share = first.flatten(1) / first.flatten(1).sum(dim=1, keepdim=True)
    values, order = share.sort(dim=1, descending=True)
    keep_sorted = (values.cumsum(dim=1) - values) < mass
    return torch.zeros_like(keep_sorted).scatter(1, order, keep_sorted).reshape(first.shape)
''',
        "threshold at the mean attention": '''
def attention_foreground(attention, mass=0.6):
    mean = attention.mean(dim=1)
    return mean > mean.mean(dim=(1, 2), keepdim=True)
''',
        "keeps the least attended patches": '''
def attention_foreground(attention, mass=0.6):
    mean = attention.mean(dim=1)
    share = mean.flatten(1) / mean.flatten(1).sum(dim=1, keepdim=True)
    values, order = share.sort(dim=1)
    keep_sorted = (values.cumsum(dim=1) - values) < mass
    return torch.zeros_like(keep_sorted).scatter(1, order, keep_sorted).reshape(mean.shape)
''',
        "normalised over the whole batch": '''
def attention_foreground(attention, mass=0.6):
    mean = attention.mean(dim=1)
    share = mean.flatten(1) / mean.sum()
    values, order = share.sort(dim=1, descending=True)
    keep_sorted = (values.cumsum(dim=1) - values) < mass
    return torch.zeros_like(keep_sorted).scatter(1, order, keep_sorted).reshape(mean.shape)
''',
        "stops one patch short of the mass": '''
def attention_foreground(attention, mass=0.6):
    mean = attention.mean(dim=1)
    share = mean.flatten(1) / mean.flatten(1).sum(dim=1, keepdim=True)
    values, order = share.sort(dim=1, descending=True)
    keep_sorted = values.cumsum(dim=1) <= mass
    return torch.zeros_like(keep_sorted).scatter(1, order, keep_sorted).reshape(mean.shape)
''',
        "the maximum over the heads instead of the mean": '''
def attention_foreground(attention, mass=0.6):
    peak = attention.amax(dim=1)
    share = peak.flatten(1) / peak.flatten(1).sum(dim=1, keepdim=True)
    values, order = share.sort(dim=1, descending=True)
    keep_sorted = (values.cumsum(dim=1) - values) < mass
    return torch.zeros_like(keep_sorted).scatter(1, order, keep_sorted).reshape(peak.shape)
''',
        "no normalisation (raw attention summed up to mass)": '''
def attention_foreground(attention, mass=0.6):
    mean = attention.mean(dim=1)
    values, order = mean.flatten(1).sort(dim=1, descending=True)
    keep_sorted = (values.cumsum(dim=1) - values) < mass
    return torch.zeros_like(keep_sorted).scatter(1, order, keep_sorted).reshape(mean.shape)
''',
        "a float mask, not bool": '''
def attention_foreground(attention, mass=0.6):
    mean = attention.mean(dim=1)
    share = mean.flatten(1) / mean.flatten(1).sum(dim=1, keepdim=True)
    values, order = share.sort(dim=1, descending=True)
    keep_sorted = ((values.cumsum(dim=1) - values) < mass).float()
    return torch.zeros_like(keep_sorted).scatter(1, order, keep_sorted).reshape(mean.shape)
''',
    },
    "knn_predict": {
        "Euclidean distance": '''
def knn_predict(train_features, train_labels, test_features, k=20):
    distance = torch.cdist(test_features.float(), train_features.float())
    _, neighbours = distance.topk(k, dim=1, largest=False)
    votes = F.one_hot(train_labels[neighbours], int(train_labels.max()) + 1).sum(dim=1)
    return votes.argmax(dim=1)
''',
        "dot product without normalising": '''
def knn_predict(train_features, train_labels, test_features, k=20):
    similarity, neighbours = (test_features.float() @ train_features.float().T).topk(k, dim=1)
    votes = torch.zeros(len(test_features), int(train_labels.max()) + 1)
    votes.scatter_add_(1, train_labels[neighbours], similarity)
    return votes.argmax(dim=1)
''',
        "unweighted majority vote": '''
def knn_predict(train_features, train_labels, test_features, k=20):
    similarity = F.normalize(test_features.float(), dim=1) @ F.normalize(train_features.float(), dim=1).T
    _, neighbours = similarity.topk(k, dim=1)
    return train_labels[neighbours].mode(dim=1).values
''',
        "the k least similar": '''
def knn_predict(train_features, train_labels, test_features, k=20):
    similarity = F.normalize(test_features.float(), dim=1) @ F.normalize(train_features.float(), dim=1).T
    values, neighbours = similarity.topk(k, dim=1, largest=False)
    votes = torch.zeros(len(test_features), int(train_labels.max()) + 1)
    votes.scatter_add_(1, train_labels[neighbours], values)
    return votes.argmax(dim=1)
''',
        "normalised along the wrong axis (each feature over the samples)": '''
def knn_predict(train_features, train_labels, test_features, k=20):
    similarity = F.normalize(test_features.float(), dim=0) @ F.normalize(train_features.float(), dim=0).T
    values, neighbours = similarity.topk(k, dim=1)
    votes = torch.zeros(len(test_features), int(train_labels.max()) + 1)
    votes.scatter_add_(1, train_labels[neighbours], values)
    return votes.argmax(dim=1)
''',
        "the nearest neighbour skipped (leave-one-out habit)": '''
def knn_predict(train_features, train_labels, test_features, k=20):
    similarity = F.normalize(test_features.float(), dim=1) @ F.normalize(train_features.float(), dim=1).T
    values, neighbours = similarity.topk(k + 1, dim=1)
    values, neighbours = values[:, 1:], neighbours[:, 1:]
    votes = torch.zeros(len(test_features), int(train_labels.max()) + 1)
    votes.scatter_add_(1, train_labels[neighbours], values)
    return votes.argmax(dim=1)
''',
        "only the test features normalised": '''
def knn_predict(train_features, train_labels, test_features, k=20):
    similarity = F.normalize(test_features.float(), dim=1) @ train_features.float().T
    values, neighbours = similarity.topk(k, dim=1)
    votes = torch.zeros(len(test_features), int(train_labels.max()) + 1)
    votes.scatter_add_(1, train_labels[neighbours], values)
    return votes.argmax(dim=1)
''',
    },
    "patchify": {
        "a plain reshape (pixels from different places in one patch)": '''
def patchify(images, patch_size):
    n, c, height, width = images.shape
    return images.reshape(n, (height // patch_size) * (width // patch_size), -1)
''',
        "channels first inside a patch (F.unfold's order)": '''
def patchify(images, patch_size):
    return F.unfold(images, kernel_size=patch_size, stride=patch_size).transpose(1, 2)
''',
        "F.unfold without the transpose (N, P, L)": '''
def patchify(images, patch_size):
    return F.unfold(images, kernel_size=patch_size, stride=patch_size)
''',
        "patches column by column": '''
def patchify(images, patch_size):
    n, c, height, width = images.shape
    h, w = height // patch_size, width // patch_size
    grid = images.reshape(n, c, h, patch_size, w, patch_size)
    return grid.permute(0, 4, 2, 3, 5, 1).reshape(n, h * w, -1)
''',
        "rows and columns swapped inside a patch": '''
def patchify(images, patch_size):
    n, c, height, width = images.shape
    h, w = height // patch_size, width // patch_size
    grid = images.reshape(n, c, h, patch_size, w, patch_size)
    return grid.permute(0, 2, 4, 5, 3, 1).reshape(n, h * w, -1)
''',
        "patches copied into a buffer made on the CPU (fails for images on a GPU)": '''
def patchify(images, patch_size):
    n, c, height, width = images.shape
    h, w = height // patch_size, width // patch_size
    out = torch.empty(n, h * w, patch_size * patch_size * c, dtype=images.dtype)
    for i in range(h):
        for j in range(w):
            square = images[:, :, i * patch_size:(i + 1) * patch_size, j * patch_size:(j + 1) * patch_size]
            out[:, i * w + j] = square.permute(0, 2, 3, 1).reshape(n, -1)
    return out
''',
    },
    "masked_patch_loss": {
        "every patch scored (the mask ignored)": '''
def masked_patch_loss(predictions, targets, mask, norm_pix_loss=False):
    if norm_pix_loss:
        targets = (targets - targets.mean(-1, keepdim=True)) / (targets.var(-1, keepdim=True) + 1e-6) ** 0.5
    return ((predictions - targets) ** 2).mean()
''',
        "the visible patches scored (mask read the wrong way round)": '''
def masked_patch_loss(predictions, targets, mask, norm_pix_loss=False):
    if norm_pix_loss:
        targets = (targets - targets.mean(-1, keepdim=True)) / (targets.var(-1, keepdim=True) + 1e-6) ** 0.5
    errors = ((predictions - targets) ** 2).mean(-1)
    return (errors * (1 - mask)).sum() / (1 - mask).sum()
''',
        "norm_pix over the patches (dim 1) instead of within each patch": '''
def masked_patch_loss(predictions, targets, mask, norm_pix_loss=False):
    if norm_pix_loss:
        targets = (targets - targets.mean(1, keepdim=True)) / (targets.var(1, keepdim=True) + 1e-6) ** 0.5
    errors = ((predictions - targets) ** 2).mean(-1)
    return (errors * mask).sum() / mask.sum()
''',
        "norm_pix_loss ignored": '''
def masked_patch_loss(predictions, targets, mask, norm_pix_loss=False):
    errors = ((predictions - targets) ** 2).mean(-1)
    return (errors * mask).sum() / mask.sum()
''',
        "the biased variance in norm_pix": '''
def masked_patch_loss(predictions, targets, mask, norm_pix_loss=False):
    if norm_pix_loss:
        targets = (targets - targets.mean(-1, keepdim=True)) / (targets.var(-1, keepdim=True, unbiased=False) + 1e-6) ** 0.5
    errors = ((predictions - targets) ** 2).mean(-1)
    return (errors * mask).sum() / mask.sum()
''',
        "averaged image by image, then over the images": '''
def masked_patch_loss(predictions, targets, mask, norm_pix_loss=False):
    if norm_pix_loss:
        targets = (targets - targets.mean(-1, keepdim=True)) / (targets.var(-1, keepdim=True) + 1e-6) ** 0.5
    errors = ((predictions - targets) ** 2).mean(-1)
    return ((errors * mask).sum(1) / mask.sum(1)).mean()
''',
        "squared errors summed over a patch's values": '''
def masked_patch_loss(predictions, targets, mask, norm_pix_loss=False):
    if norm_pix_loss:
        targets = (targets - targets.mean(-1, keepdim=True)) / (targets.var(-1, keepdim=True) + 1e-6) ** 0.5
    errors = ((predictions - targets) ** 2).sum(-1)
    return (errors * mask).sum() / mask.sum()
''',
    },
    "dino_loss": {
        "centred with this batch's mean instead of the EMA centre": '''
def dino_loss(student_logits, teacher_logits, center, student_temp=0.1, teacher_temp=0.04, center_momentum=0.9):
    teacher = F.softmax((teacher_logits.detach() - teacher_logits.detach().mean(dim=(0, 1))) / teacher_temp, dim=-1)
    log_student = F.log_softmax(student_logits / student_temp, dim=-1)
    losses = [-(teacher[i] * log_student[j]).sum(-1).mean() for i in range(len(teacher)) for j in range(len(log_student)) if not (i == j)]
    return torch.stack(losses).mean(), center_momentum * center + (1 - center_momentum) * teacher_logits.detach().mean(dim=(0, 1))
''',
        "no stop-gradient on the teacher": '''
def dino_loss(student_logits, teacher_logits, center, student_temp=0.1, teacher_temp=0.04, center_momentum=0.9):
    teacher = F.softmax((teacher_logits - center) / teacher_temp, dim=-1)
    log_student = F.log_softmax(student_logits / student_temp, dim=-1)
    losses = [-(teacher[i] * log_student[j]).sum(-1).mean() for i in range(len(teacher)) for j in range(len(log_student)) if not (i == j)]
    return torch.stack(losses).mean(), center_momentum * center + (1 - center_momentum) * teacher_logits.detach().mean(dim=(0, 1))
''',
        "a view compared with itself (same-view pairs kept)": '''
def dino_loss(student_logits, teacher_logits, center, student_temp=0.1, teacher_temp=0.04, center_momentum=0.9):
    teacher = F.softmax((teacher_logits.detach() - center) / teacher_temp, dim=-1)
    log_student = F.log_softmax(student_logits / student_temp, dim=-1)
    losses = [-(teacher[i] * log_student[j]).sum(-1).mean() for i in range(len(teacher)) for j in range(len(log_student)) if not (False)]
    return torch.stack(losses).mean(), center_momentum * center + (1 - center_momentum) * teacher_logits.detach().mean(dim=(0, 1))
''',
        "the temperatures swapped (the student sharpened, the teacher softened)": '''
def dino_loss(student_logits, teacher_logits, center, student_temp=0.1, teacher_temp=0.04, center_momentum=0.9):
    teacher = F.softmax((teacher_logits.detach() - center) / student_temp, dim=-1)
    log_student = F.log_softmax(student_logits / teacher_temp, dim=-1)
    losses = [-(teacher[i] * log_student[j]).sum(-1).mean() for i in range(len(teacher)) for j in range(len(log_student)) if not (i == j)]
    return torch.stack(losses).mean(), center_momentum * center + (1 - center_momentum) * teacher_logits.detach().mean(dim=(0, 1))
''',
        "the centre's momentum on the batch mean": '''
def dino_loss(student_logits, teacher_logits, center, student_temp=0.1, teacher_temp=0.04, center_momentum=0.9):
    teacher = F.softmax((teacher_logits.detach() - center) / teacher_temp, dim=-1)
    log_student = F.log_softmax(student_logits / student_temp, dim=-1)
    losses = [-(teacher[i] * log_student[j]).sum(-1).mean() for i in range(len(teacher)) for j in range(len(log_student)) if not (i == j)]
    return torch.stack(losses).mean(), (1 - center_momentum) * center + center_momentum * teacher_logits.detach().mean(dim=(0, 1))
''',
        "the cross-entropy reversed (student probabilities, teacher log-probabilities)": '''
def dino_loss(student_logits, teacher_logits, center, student_temp=0.1, teacher_temp=0.04, center_momentum=0.9):
    teacher = F.log_softmax((teacher_logits.detach() - center) / teacher_temp, dim=-1)
    log_student = F.softmax(student_logits / student_temp, dim=-1)
    losses = [-(teacher[i] * log_student[j]).sum(-1).mean() for i in range(len(teacher)) for j in range(len(log_student)) if not (i == j)]
    return torch.stack(losses).mean(), center_momentum * center + (1 - center_momentum) * teacher_logits.detach().mean(dim=(0, 1))
''',
        "the new centre keeps the teacher's autograd history": '''
def dino_loss(student_logits, teacher_logits, center, student_temp=0.1, teacher_temp=0.04, center_momentum=0.9):
    teacher = F.softmax((teacher_logits - center) / teacher_temp, dim=-1).detach()
    log_student = F.log_softmax(student_logits / student_temp, dim=-1)
    losses = [-(teacher[i] * log_student[j]).sum(-1).mean() for i in range(len(teacher)) for j in range(len(log_student)) if not (i == j)]
    return torch.stack(losses).mean(), center_momentum * center + (1 - center_momentum) * teacher_logits.mean(dim=(0, 1))
''',
    },
}

CORRECT = {
    "random_masking": {
        "a random permutation per image, in a loop": '''
def random_masking(batch_size, num_patches, mask_ratio, generator=None):
    num_keep = int(num_patches * (1 - mask_ratio))
    keeps, restores, masks = [], [], []
    for _ in range(batch_size):
        order = torch.randperm(num_patches, generator=generator)
        restore = torch.empty_like(order)
        restore[order] = torch.arange(num_patches)
        mask = torch.ones(num_patches)
        mask[order[:num_keep]] = 0
        keeps.append(order[:num_keep])
        restores.append(restore)
        masks.append(mask)
    return torch.stack(keeps), torch.stack(restores), torch.stack(masks)
''',
        "kept indices sorted, the hidden ones after them": '''
def random_masking(batch_size, num_patches, mask_ratio, generator=None):
    num_keep = int(num_patches * (1 - mask_ratio))
    scores = torch.rand(batch_size, num_patches, generator=generator)
    ids_keep = scores.topk(num_keep, dim=1).indices.sort(dim=1).values
    hidden = torch.ones(batch_size, num_patches, dtype=torch.bool)
    hidden.scatter_(1, ids_keep, False)
    ids_hidden = (~hidden).argsort(dim=1, stable=True)[:, : num_patches - num_keep]
    ids_shuffle = torch.cat([ids_keep, ids_hidden], dim=1)
    return ids_keep, ids_shuffle.argsort(dim=1), hidden.float()
''',
        "multinomial draws and a scatter for the inverse": '''
def random_masking(batch_size, num_patches, mask_ratio, generator=None):
    num_keep = int(num_patches * (1 - mask_ratio))
    ids_shuffle = torch.multinomial(torch.ones(batch_size, num_patches), num_patches, generator=generator)
    positions = torch.arange(num_patches).expand(batch_size, -1)
    ids_restore = torch.empty_like(ids_shuffle).scatter_(1, ids_shuffle, positions)
    mask = torch.where(ids_restore < num_keep, 0.0, 1.0)
    return ids_shuffle[:, :num_keep], ids_restore, mask
''',
    },
    "attention_foreground": {
        "a loop over images with NumPy": '''
def attention_foreground(attention, mass=0.6):
    mean = attention.float().mean(dim=1).numpy()
    masks = []
    for image in mean:
        share = image.ravel() / image.sum()
        order = np.argsort(-share)
        kept = np.zeros(share.size, dtype=bool)
        total = 0.0
        for index in order:
            kept[index] = True
            total += share[index]
            if total >= mass:
                break
        masks.append(kept.reshape(image.shape))
    return torch.from_numpy(np.stack(masks))
''',
        "a threshold value found with searchsorted": '''
def attention_foreground(attention, mass=0.6):
    mean = attention.float().mean(dim=1)
    flat = mean.flatten(1)
    values = (flat / flat.sum(dim=1, keepdim=True)).sort(dim=1, descending=True).values
    count = torch.searchsorted(values.cumsum(dim=1), torch.full((len(flat), 1), mass)) + 1
    threshold = values.gather(1, (count - 1).clamp(max=flat.shape[1] - 1))
    return (flat / flat.sum(dim=1, keepdim=True) >= threshold).reshape(mean.shape)
''',
        "the running total shifted by one (torch.cat)": '''
def attention_foreground(attention, mass=0.6):
    mean = attention.mean(dim=1)
    b, h, w = mean.shape
    share = mean.reshape(b, -1) / mean.reshape(b, -1).sum(dim=1, keepdim=True)
    values, order = torch.sort(share, dim=1, descending=True)
    before = torch.cat([torch.zeros(b, 1), values.cumsum(dim=1)[:, :-1]], dim=1)
    kept = torch.empty(b, h * w, dtype=torch.bool)
    kept.scatter_(1, order, before < mass)
    return kept.view(b, h, w)
''',
    },
    "knn_predict": {
        "cosine_similarity and a loop over test items": '''
def knn_predict(train_features, train_labels, test_features, k=20):
    predictions = []
    num_classes = int(train_labels.max()) + 1
    for query in test_features.float():
        similarity = F.cosine_similarity(train_features.float(), query[None], dim=1)
        top = similarity.topk(k)
        votes = torch.bincount(train_labels[top.indices], weights=top.values, minlength=num_classes)
        predictions.append(int(votes.argmax()))
    return torch.tensor(predictions)
''',
        "one-hot votes weighted by similarity": '''
def knn_predict(train_features, train_labels, test_features, k=20):
    train = train_features / train_features.norm(dim=1, keepdim=True)
    test = test_features / test_features.norm(dim=1, keepdim=True)
    similarity, neighbours = torch.topk(test @ train.T, k, dim=1)
    votes = (F.one_hot(train_labels[neighbours], int(train_labels.max()) + 1) * similarity[..., None]).sum(dim=1)
    return votes.argmax(dim=1)
''',
        "Euclidean distance between unit vectors (|a - b|^2 = 2 - 2 cos)": '''
def knn_predict(train_features, train_labels, test_features, k=20):
    train, test = F.normalize(train_features.float(), dim=1), F.normalize(test_features.float(), dim=1)
    distance, neighbours = torch.cdist(test, train).topk(k, dim=1, largest=False)
    cosine = 1 - distance ** 2 / 2
    votes = torch.zeros(len(test), int(train_labels.max()) + 1, dtype=cosine.dtype)
    return votes.scatter_add_(1, train_labels[neighbours], cosine).argmax(dim=1)
''',
    },
    "patchify": {
        "einsum, as the MAE code": '''
def patchify(images, patch_size):
    n, c, height, width = images.shape
    h, w = height // patch_size, width // patch_size
    x = images.reshape(n, c, h, patch_size, w, patch_size)
    return torch.einsum("nchpwq->nhwpqc", x).reshape(n, h * w, patch_size ** 2 * c)
''',
        "Tensor.unfold twice": '''
def patchify(images, patch_size):
    squares = images.unfold(2, patch_size, patch_size).unfold(3, patch_size, patch_size)  # (N, C, h, w, p, p)
    n, c, h, w = squares.shape[:4]
    return squares.permute(0, 2, 3, 4, 5, 1).reshape(n, h * w, -1)
''',
        "a loop over the grid of patches": '''
def patchify(images, patch_size):
    n, c, height, width = images.shape
    p = patch_size
    patches = [images[:, :, i:i + p, j:j + p].permute(0, 2, 3, 1).reshape(n, -1)
               for i in range(0, height, p) for j in range(0, width, p)]
    return torch.stack(patches, dim=1)
''',
    },
    "masked_patch_loss": {
        "boolean indexing of the hidden patches": '''
def masked_patch_loss(predictions, targets, mask, norm_pix_loss=False):
    if norm_pix_loss:
        targets = (targets - targets.mean(dim=-1, keepdim=True)) / torch.sqrt(targets.var(dim=-1, keepdim=True) + 1e-6)
    return ((predictions - targets) ** 2).mean(dim=-1)[mask.bool()].mean()
''',
        "F.mse_loss without reduction and the standard deviation": '''
def masked_patch_loss(predictions, targets, mask, norm_pix_loss=False):
    if norm_pix_loss:
        std = targets.std(dim=2, keepdim=True)
        targets = (targets - targets.mean(dim=2, keepdim=True)) / (std ** 2 + 1e-6).sqrt()
    per_patch = F.mse_loss(predictions, targets, reduction="none").mean(dim=2)
    return torch.sum(per_patch * mask) / torch.sum(mask)
''',
        "a loop over the images, summing errors and counts": '''
def masked_patch_loss(predictions, targets, mask, norm_pix_loss=False):
    total, count = 0.0, 0.0
    for pred, target, hidden in zip(predictions, targets, mask):
        if norm_pix_loss:
            target = (target - target.mean(-1, keepdim=True)) / (target.var(-1, keepdim=True) + 1e-6) ** 0.5
        total = total + (((pred - target) ** 2).mean(-1) * hidden).sum()
        count = count + hidden.sum()
    return total / count
''',
    },
    "dino_loss": {
        "two loops and a running sum": '''
def dino_loss(student_logits, teacher_logits, center, student_temp=0.1, teacher_temp=0.04, center_momentum=0.9):
    with torch.no_grad():
        targets = torch.softmax((teacher_logits - center) / teacher_temp, dim=-1)
        new_center = center * center_momentum + teacher_logits.mean(dim=0).mean(dim=0) * (1 - center_momentum)
    total, pairs = 0.0, 0
    for i, target in enumerate(targets):
        for j, logits in enumerate(student_logits):
            if i != j:
                total = total + torch.sum(-target * F.log_softmax(logits / student_temp, dim=-1), dim=-1).mean()
                pairs += 1
    return total / pairs, new_center
''',
        "einsum over all pairs, minus the same-view pairs": '''
def dino_loss(student_logits, teacher_logits, center, student_temp=0.1, teacher_temp=0.04, center_momentum=0.9):
    vt, n, _ = teacher_logits.shape
    vs = len(student_logits)
    p = F.softmax((teacher_logits.detach() - center) / teacher_temp, dim=-1)      # (Vt, N, K)
    log_q = F.log_softmax(student_logits / student_temp, dim=-1)                  # (Vs, N, K)
    cross = -torch.einsum("ink,jnk->ij", p, log_q) / n                            # (Vt, Vs)
    same = torch.zeros_like(cross, dtype=torch.bool)
    same[torch.arange(min(vt, vs)), torch.arange(min(vt, vs))] = True
    loss = cross.masked_fill(same, 0.0).sum() / (vt * vs - min(vt, vs))
    batch_center = teacher_logits.detach().reshape(-1, teacher_logits.shape[-1]).mean(dim=0)
    return loss, torch.lerp(center, batch_center, 1 - center_momentum)
''',
        "F.cross_entropy with probabilities as targets": '''
def dino_loss(student_logits, teacher_logits, center, student_temp=0.1, teacher_temp=0.04, center_momentum=0.9):
    targets = ((teacher_logits - center) / teacher_temp).softmax(dim=-1).detach()
    losses = []
    for i in range(teacher_logits.shape[0]):
        for j in range(student_logits.shape[0]):
            if j == i:
                continue
            losses.append(F.cross_entropy(student_logits[j] / student_temp, targets[i]))
    new_center = center_momentum * center + (1 - center_momentum) * teacher_logits.detach().flatten(0, 1).mean(0)
    return sum(losses) / len(losses), new_center
''',
    },
}

LAB_UTILS_ONLY = {
    # The package's only random subset: lab_utils.stratified_indices, seeded by an integer and
    # the same for every image.
    "random_masking": {
        "lab_utils.stratified_indices as the visible patches": '''
def random_masking(batch_size, num_patches, mask_ratio, generator=None):
    num_keep = int(num_patches * (1 - mask_ratio))
    keep = lab_utils.stratified_indices(torch.zeros(num_patches, dtype=torch.long), max(num_keep, 1))[:num_keep]
    hidden = torch.ones(num_patches)
    hidden[keep] = 0.0
    order = torch.cat([keep, hidden.nonzero().flatten()])
    return (keep.expand(batch_size, -1), order.argsort().expand(batch_size, -1),
            hidden.expand(batch_size, -1))
''',
    },
    # The package draws attention maps but never thresholds them: the closest is its patch-to-
    # pixel mask helper applied to the mean map.
    "attention_foreground": {
        "lab_utils.vit.mask_to_pixels of the mean map": '''
def attention_foreground(attention, mass=0.6):
    mean = attention.mean(dim=1)
    b, h, w = mean.shape
    return vit.mask_to_pixels(mean.flatten(1), (h, w), 1)[:, 0]
''',
    },
    # What lab_utils used to export: a k-NN accuracy, asked one label at a time, answers the
    # exercise completely. The function is gone from the package.
    "knn_predict": {
        "lab_utils.knn_accuracy, one candidate label at a time": '''
def knn_predict(train_features, train_labels, test_features, k=20):
    classes = range(int(train_labels.max()) + 1)
    return torch.tensor([
        next(c for c in classes
             if lab_utils.knn_accuracy(train_features, train_labels, query[None], torch.tensor([c]), k=k) == 1.0)
        for query in test_features])
''',
    },
    # The package turns a patch mask into a pixel mask; nothing cuts images into patches.
    "patchify": {
        "vit.mask_to_pixels of an all-hidden mask": '''
def patchify(images, patch_size):
    grid = (images.shape[-2] // patch_size, images.shape[-1] // patch_size)
    hidden = torch.ones(len(images), grid[0] * grid[1])
    return vit.mask_to_pixels(hidden, grid, patch_size).float()
''',
    },
    # Nor a masked loss: the pixel mask scales a loss over every pixel.
    "masked_patch_loss": {
        "an MSE over all values, weighted by vit.mask_to_pixels": '''
def masked_patch_loss(predictions, targets, mask, norm_pix_loss=False):
    hidden = vit.mask_to_pixels(mask, (1, mask.shape[1]), 1).float()
    return F.mse_loss(predictions, targets) * hidden.mean()
''',
    },
    # The package has no self-distillation: the nearest it comes is comparing the two
    # networks' outputs after a fixed seed, with no centring and no sharpening.
    "dino_loss": {
        "the MSE between student and teacher logits": '''
def dino_loss(student_logits, teacher_logits, center, student_temp=0.1, teacher_temp=0.04, center_momentum=0.9):
    lab_utils.seed_everything(0)
    loss = F.mse_loss(student_logits[:len(teacher_logits)], teacher_logits.detach())
    return loss, center.clone()
''',
    },
}
