"""Answer variants for notebook 02 (pretext tasks), keyed by the grade id of the solution cell.

WRONG: typical mistakes; each must lose that exercise's points.
CORRECT: right answers written differently from the reference; each must get full marks.
"""

WRONG = {
    "rotate_batch": {
        "turns clockwise": '''
def rotate_batch(images):
    rotated = torch.cat([torch.rot90(images, -k, dims=(2, 3)) for k in range(4)])
    return rotated, torch.arange(4).repeat_interleave(len(images))
''',
        "labels image-major, rotations rotation-major": '''
def rotate_batch(images):
    rotated = torch.cat([torch.rot90(images, k, dims=(2, 3)) for k in range(4)])
    return rotated, torch.arange(4).repeat(len(images))
''',
        "turns the channel and height axes": '''
def rotate_batch(images):
    rotated = torch.cat([torch.rot90(images, k, dims=(1, 2)) for k in range(4)])
    return rotated, torch.arange(4).repeat_interleave(len(images))
''',
        "float labels": '''
def rotate_batch(images):
    rotated = torch.cat([torch.rot90(images, k, dims=(2, 3)) for k in range(4)])
    return rotated, torch.arange(4).repeat_interleave(len(images)).float()
''',
    },
    "shuffle_tiles": {
        "inverse permutation (tile j goes to position p[j])": '''
def shuffle_tiles(images, permutation_ids):
    b, c, h, w = images.shape
    tiles = images.reshape(b, c, 2, h // 2, 2, w // 2).permute(0, 2, 4, 1, 3, 5).reshape(b, 4, c, h // 2, w // 2)
    order = PERMUTATIONS[permutation_ids].argsort(dim=1)
    return tiles[torch.arange(b)[:, None], order]
''',
        "reshape without permute (tiles are strips of rows)": '''
def shuffle_tiles(images, permutation_ids):
    b, c, h, w = images.shape
    tiles = images.reshape(b, c, 4, h // 2, w // 2).transpose(1, 2)
    return tiles[torch.arange(b)[:, None], PERMUTATIONS[permutation_ids]]
''',
        "column-major tile numbering": '''
def shuffle_tiles(images, permutation_ids):
    b, c, h, w = images.shape
    tiles = images.reshape(b, c, 2, h // 2, 2, w // 2).permute(0, 4, 2, 1, 3, 5).reshape(b, 4, c, h // 2, w // 2)
    return tiles[torch.arange(b)[:, None], PERMUTATIONS[permutation_ids]]
''',
        "the first image's permutation for the whole batch": '''
def shuffle_tiles(images, permutation_ids):
    b, c, h, w = images.shape
    tiles = images.reshape(b, c, 2, h // 2, 2, w // 2).permute(0, 2, 4, 1, 3, 5).reshape(b, 4, c, h // 2, w // 2)
    return tiles[:, PERMUTATIONS[permutation_ids[0]]]
''',
    },
    "colorization": {
        "the model sees the colour image": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.decoder = nn.Sequential(nn.Conv2d(256, 2, 1), nn.Upsample(scale_factor=8, mode="bilinear"))

    def forward(self, x):
        return self.decoder(self.backbone.feature_map(x))


def colorization_loss(model, images, _labels=None):
    lab = kornia.color.rgb_to_lab(images.float() / 255)
    return F.mse_loss(model(normalize_cifar(images)), lab[:, 1:] / 128)
''',
        "targets not divided by 128": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.decoder = nn.Sequential(nn.Conv2d(256, 2, 1), nn.Upsample(scale_factor=8, mode="bilinear"))

    def forward(self, x):
        return self.decoder(self.backbone.feature_map(x))


def colorization_loss(model, images, _labels=None):
    lab = kornia.color.rgb_to_lab(images.float() / 255)
    grey = (lab[:, :1] / 100).expand(-1, 3, -1, -1)
    return F.mse_loss(model(normalize_cifar(grey)), lab[:, 1:])
''',
        "predicts RGB instead of (a, b)": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.decoder = nn.Sequential(nn.Conv2d(256, 3, 1), nn.Upsample(scale_factor=8, mode="bilinear"))

    def forward(self, x):
        return self.decoder(self.backbone.feature_map(x))


def colorization_loss(model, images, _labels=None):
    grey = kornia.color.rgb_to_grayscale(images.float() / 255).expand(-1, 3, -1, -1)
    return F.mse_loss(model(normalize_cifar(grey)), images.float() / 255)
''',
        "decoder on the pooled 256-d feature, output not upsampled": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.decoder = nn.Linear(256, 2)

    def forward(self, x):
        return self.decoder(self.backbone(x))[:, :, None, None]


def colorization_loss(model, images, _labels=None):
    lab = kornia.color.rgb_to_lab(images.float() / 255)
    grey = (lab[:, :1] / 100).expand(-1, 3, -1, -1)
    return F.mse_loss(model(normalize_cifar(grey)).expand(-1, -1, *images.shape[2:]), lab[:, 1:] / 128)
''',
        "a fresh backbone inside the model": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = SmallCNN()
        self.decoder = nn.Sequential(nn.Conv2d(256, 2, 1), nn.Upsample(scale_factor=8, mode="bilinear"))

    def forward(self, x):
        return self.decoder(self.backbone.feature_map(x))


def colorization_loss(model, images, _labels=None):
    lab = kornia.color.rgb_to_lab(images.float() / 255)
    grey = (lab[:, :1] / 100).expand(-1, 3, -1, -1)
    return F.mse_loss(model(normalize_cifar(grey)), lab[:, 1:] / 128)
''',
    },
}

CORRECT = {
    "rotate_batch": {
        "image-major order with stack and flatten": '''
def rotate_batch(images):
    rotated = torch.stack([images.rot90(k, (2, 3)) for k in range(4)], dim=1)   # (B, 4, C, H, W)
    labels = torch.arange(4, device=images.device).repeat(len(images))
    return rotated.flatten(0, 1), labels
''',
    },
    "shuffle_tiles": {
        "unfold and torch.gather": '''
def shuffle_tiles(images, permutation_ids):
    b, c, h, w = images.shape
    tiles = images.unfold(2, h // 2, h // 2).unfold(3, w // 2, w // 2)      # (B, C, 2, 2, h/2, w/2)
    tiles = tiles.reshape(b, c, 4, h // 2, w // 2).transpose(1, 2)           # (B, 4, C, h/2, w/2)
    index = PERMUTATIONS.to(images.device)[permutation_ids].view(b, 4, 1, 1, 1)
    return torch.gather(tiles, 1, index.expand(-1, -1, c, h // 2, w // 2))
''',
        "a loop over the four positions": '''
def shuffle_tiles(images, permutation_ids):
    h, w = images.shape[2] // 2, images.shape[3] // 2
    grid = [images[:, :, r * h:(r + 1) * h, s * w:(s + 1) * w] for r in range(2) for s in range(2)]
    tiles = torch.stack(grid, dim=1)                                         # (B, 4, C, h, w)
    order = PERMUTATIONS[permutation_ids.cpu()].to(images.device)
    return torch.stack([tiles[torch.arange(len(images)), order[:, j]] for j in range(4)], dim=1)
''',
    },
    "colorization": {
        "transposed convolutions and a hand-written Lab conversion": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        up = lambda i, o: [nn.ConvTranspose2d(i, o, 4, stride=2, padding=1), nn.ReLU()]
        self.decoder = nn.Sequential(*up(256, 64), *up(64, 32), nn.ConvTranspose2d(32, 2, 4, stride=2, padding=1))

    def forward(self, x):
        return self.decoder(self.backbone.feature_map(x))


def _lab(rgb):
    linear = torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    m = torch.tensor([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169],
                      [0.019334, 0.119193, 0.950227]])
    xyz = torch.einsum("ij,bjhw->bihw", m, linear) / torch.tensor([0.950456, 1.0, 1.088754]).view(1, 3, 1, 1)
    f = torch.where(xyz > 0.008856, xyz.clamp(min=1e-12) ** (1 / 3), 7.787 * xyz + 4 / 29)
    lightness = torch.where(xyz[:, 1:2] > 0.008856, 116 * f[:, 1:2] - 16, 903.3 * xyz[:, 1:2])
    return lightness, 500 * (f[:, 0:1] - f[:, 1:2]), 200 * (f[:, 1:2] - f[:, 2:3])


def colorization_loss(model, images, _labels=None):
    lightness, a, b = _lab(images.float() / 255)
    prediction = model(normalize_cifar(torch.cat([lightness / 100] * 3, dim=1)))
    return ((prediction - torch.cat([a, b], dim=1) / 128) ** 2).mean()
''',
    },
}
