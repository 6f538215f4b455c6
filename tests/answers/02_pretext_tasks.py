"""Answer variants for notebook 02 (pretext tasks), keyed by the grade id of the solution cell.

CORRECT: right answers written differently from the reference; each must get full marks.
WRONG: typical mistakes; each must lose that exercise's points.
LAB_UTILS_ONLY: the closest each exercise comes to being solved with the helper package alone;
each must earn nothing.
"""

# What the visible check must say for each mistake it catches (tests/test_check_catch_rate.py):
# a phrase of its message that names the mistake. At least half of each exercise's WRONG
# variants are listed; the rest are left to the hidden tests.
VISIBLE_CHECK_SAYS = {
    "shuffle_tiles": {
        "inverse permutation (tile j goes to position p[j])": "position i holds tile p[i]",
        "the permutation id used as a tile index": "position i holds tile p[i]",
        "reshape without permute (tiles are strips of rows)": "tile 0 is top-left",
        "column-major tile numbering": "tile 0 is top-left",
        "the first image's permutation for the whole batch": "each image uses its own permutation id",
        "channels moved last": "(B, 4, C, H / 2, W / 2)",
        "tiles converted to float": "dtype",
    },
    "unshuffle_tiles": {
        "the permutation applied again instead of inverted": "inverse permutation",
        "the grid laid out column by column": "tile 0 goes top-left",
        "reshape without permute": "tile 0 goes top-left",
        "the first image's permutation for the whole batch": "each image uses its own permutation id",
        "images returned as floats": "dtype",
    },
    "colorization_net": {
        "decoder on the pooled 256-d feature, output not upsampled": "upsamples the (B, 256, 4, 4) feature map",
        "a fresh backbone inside the model": "the backbone passed to the constructor",
        "predicts RGB instead of (a, b)": "the a and b channels",
        "a ReLU after the last convolution": "no ReLU or sigmoid",
        "a sigmoid output": "no ReLU or sigmoid",
        "the backbone under torch.no_grad": "receive a gradient",
        "the decoder built inside forward": "in __init__",
    },
    "colorization_loss": {
        "the model sees the colour image": "the model sees no colour",
        "targets not divided by 128": "divided by 128",
        "luma grey input and RGB targets": "Lab lightness L / 100",
        "L not divided by 100": "L / 100",
        "a and b swapped": "channel 0 is a, channel 1 is b",
        "pixels not scaled to [0, 1] before rgb_to_lab": "Lab lightness",
        "summed instead of averaged": "the loss is their MSE",
        "the grey input without normalize_cifar": "un-standardised",
        "the grey input standardised twice": "un-standardised",
    },
}


_DECODER = '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.decoder = nn.Sequential(nn.Conv2d(256, 2, 1), nn.Upsample(scale_factor=8, mode="bilinear"))

    def forward(self, x):
        return self.decoder(self.backbone.feature_map(x))
'''

CORRECT = {
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
        "chunk the rows and columns": '''
def shuffle_tiles(images, permutation_ids):
    rows = images.chunk(2, dim=2)
    tiles = torch.stack([tile for row in rows for tile in row.chunk(2, dim=3)], dim=1)
    order = PERMUTATIONS.to(images.device)[permutation_ids]
    return tiles[torch.arange(len(images), device=images.device).unsqueeze(1), order]
''',
        "a loop over images": '''
def shuffle_tiles(images, permutation_ids):
    out = []
    for image, pid in zip(images, permutation_ids):
        c, h, w = image.shape
        tiles = [image[:, r * h // 2:(r + 1) * h // 2, s * w // 2:(s + 1) * w // 2] for r in (0, 1) for s in (0, 1)]
        out.append(torch.stack([tiles[int(t)] for t in PERMUTATIONS[int(pid)]]))
    return torch.stack(out)
''',
    },
    "unshuffle_tiles": {
        "an indexed assignment and torch.cat": '''
def unshuffle_tiles(tiles, permutation_ids):
    b = len(tiles)
    ordered = torch.empty_like(tiles)
    ordered[torch.arange(b, device=tiles.device)[:, None], PERMUTATIONS.to(tiles.device)[permutation_ids]] = tiles
    top = torch.cat([ordered[:, 0], ordered[:, 1]], dim=3)
    bottom = torch.cat([ordered[:, 2], ordered[:, 3]], dim=3)
    return torch.cat([top, bottom], dim=2)
''',
        "a loop over images and positions, slices written in place of a new image": '''
def unshuffle_tiles(tiles, permutation_ids):
    b, _, c, h, w = tiles.shape
    images = tiles.new_empty(b, c, 2 * h, 2 * w)
    for i in range(b):
        for j, t in enumerate(PERMUTATIONS[int(permutation_ids[i])].tolist()):
            row, col = divmod(t, 2)
            images[i, :, row * h:(row + 1) * h, col * w:(col + 1) * w] = tiles[i, j]
    return images
''',
        "gather with the inverse, then F.fold": '''
def unshuffle_tiles(tiles, permutation_ids):
    b, _, c, h, w = tiles.shape
    inverse = torch.argsort(PERMUTATIONS.to(tiles.device)[permutation_ids], dim=1)
    ordered = torch.gather(tiles, 1, inverse.view(b, 4, 1, 1, 1).expand(-1, -1, c, h, w))
    columns = ordered.double().reshape(b, 4, c * h * w).transpose(1, 2)          # (B, C*h*w, 4 blocks)
    return F.fold(columns, (2 * h, 2 * w), (h, w), stride=(h, w)).to(tiles.dtype)
''',
    },
    "colorization_net": {
        "transposed convolutions": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        up = lambda i, o: [nn.ConvTranspose2d(i, o, 4, stride=2, padding=1), nn.ReLU()]
        self.decoder = nn.Sequential(*up(256, 64), *up(64, 32), nn.ConvTranspose2d(32, 2, 4, stride=2, padding=1))

    def forward(self, x):
        return self.decoder(self.backbone.feature_map(x))
''',
        "layers as attributes, F.interpolate in forward": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.conv1 = nn.Conv2d(256, 64, 3, padding=1)
        self.norm1 = nn.BatchNorm2d(64)
        self.to_ab = nn.Conv2d(64, 2, 3, padding=1)

    def forward(self, x):
        features = F.relu(self.norm1(self.conv1(self.backbone.feature_map(x))))
        features = F.interpolate(features, scale_factor=2, mode="nearest")
        return F.interpolate(self.to_ab(features), size=x.shape[-2:], mode="bilinear", align_corners=False)
''',
        "PixelShuffle upsampling and a tanh output": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.decoder = nn.Sequential(nn.Conv2d(256, 128, 1), nn.ReLU(), nn.Conv2d(128, 2 * 64, 3, padding=1),
                                     nn.PixelShuffle(8), nn.Tanh())

    def forward(self, x):
        return self.decoder(self.backbone.feature_map(x))
''',
        "one 1x1 convolution and a bilinear upsampling": _DECODER,
    },
    "colorization_loss": {
        "a hand-written Lab conversion": '''
def _lab(rgb):
    linear = torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    m = torch.tensor([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169],
                      [0.019334, 0.119193, 0.950227]], device=rgb.device)
    white = torch.tensor([0.950456, 1.0, 1.088754], device=rgb.device).view(1, 3, 1, 1)
    xyz = torch.einsum("ij,bjhw->bihw", m, linear) / white
    f = torch.where(xyz > 0.008856, xyz.clamp(min=1e-12) ** (1 / 3), 7.787 * xyz + 4 / 29)
    lightness = torch.where(xyz[:, 1:2] > 0.008856, 116 * f[:, 1:2] - 16, 903.3 * xyz[:, 1:2])
    return lightness, 500 * (f[:, 0:1] - f[:, 1:2]), 200 * (f[:, 1:2] - f[:, 2:3])


def colorization_loss(model, images, _labels=None):
    lightness, a, b = _lab(images.float() / 255)
    prediction = model(normalize_cifar(torch.cat([lightness / 100] * 3, dim=1)))
    return ((prediction - torch.cat([a, b], dim=1) / 128) ** 2).mean()
''',
        "images moved to the model's device via next(model.parameters())": '''
def colorization_loss(model, images, _labels=None):
    device = next(model.parameters()).device
    lab = kornia.color.rgb_to_lab(images.to(device).float().div(255))
    grey = lab[:, :1].div(100).repeat(1, 3, 1, 1)
    return F.mse_loss(model(normalize_cifar(grey)), lab[:, 1:].div(128))
''',
        "kornia's RgbToLab module, channels unbound": '''
def colorization_loss(model, images, _labels=None):
    lightness, a, b = kornia.color.RgbToLab()(images / 255.0).unbind(dim=1)
    grey = torch.stack([lightness / 100] * 3, dim=1)
    target = torch.stack([a, b], dim=1) / 128
    return (model(normalize_cifar(grey)) - target).pow(2).mean()
''',
    },
}

WRONG = {
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
        "channels moved last": '''
def shuffle_tiles(images, permutation_ids):
    b, c, h, w = images.shape
    tiles = images.reshape(b, c, 2, h // 2, 2, w // 2).permute(0, 2, 4, 3, 5, 1).reshape(b, 4, h // 2, w // 2, c)
    return tiles[torch.arange(b)[:, None], PERMUTATIONS[permutation_ids]]
''',
        "square images assumed (H used for the width)": '''
def shuffle_tiles(images, permutation_ids):
    b, c, h, _ = images.shape
    t = h // 2
    tiles = torch.stack([images[:, :, r * t:(r + 1) * t, s * t:(s + 1) * t] for r in (0, 1) for s in (0, 1)], dim=1)
    return tiles[torch.arange(b)[:, None], PERMUTATIONS[permutation_ids]]
''',
        "tiles converted to float": '''
def shuffle_tiles(images, permutation_ids):
    b, c, h, w = images.shape
    tiles = images.float().reshape(b, c, 2, h // 2, 2, w // 2).permute(0, 2, 4, 1, 3, 5)
    tiles = tiles.reshape(b, 4, c, h // 2, w // 2)
    return tiles[torch.arange(b)[:, None], PERMUTATIONS[permutation_ids]]
''',
        "the permutation id used as a tile index": '''
def shuffle_tiles(images, permutation_ids):
    b, c, h, w = images.shape
    tiles = images.reshape(b, c, 2, h // 2, 2, w // 2).permute(0, 2, 4, 1, 3, 5).reshape(b, 4, c, h // 2, w // 2)
    order = (permutation_ids[:, None] + torch.arange(4)) % 4
    return tiles[torch.arange(b)[:, None], order]
''',
    },
    "unshuffle_tiles": {
        "the permutation applied again instead of inverted": '''
def unshuffle_tiles(tiles, permutation_ids):
    b, _, c, h, w = tiles.shape
    ordered = tiles[torch.arange(b)[:, None], PERMUTATIONS[permutation_ids]]
    return ordered.reshape(b, 2, 2, c, h, w).permute(0, 3, 1, 4, 2, 5).reshape(b, c, 2 * h, 2 * w)
''',
        "the grid laid out column by column": '''
def unshuffle_tiles(tiles, permutation_ids):
    b, _, c, h, w = tiles.shape
    ordered = tiles[torch.arange(b)[:, None], PERMUTATIONS[permutation_ids].argsort(1)]
    return ordered.reshape(b, 2, 2, c, h, w).permute(0, 3, 2, 4, 1, 5).reshape(b, c, 2 * h, 2 * w)
''',
        "reshape without permute": '''
def unshuffle_tiles(tiles, permutation_ids):
    b, _, c, h, w = tiles.shape
    ordered = tiles[torch.arange(b)[:, None], PERMUTATIONS[permutation_ids].argsort(1)]
    return ordered.transpose(1, 2).reshape(b, c, 2 * h, 2 * w)
''',
        "the first image's permutation for the whole batch": '''
def unshuffle_tiles(tiles, permutation_ids):
    b, _, c, h, w = tiles.shape
    ordered = tiles[:, PERMUTATIONS[permutation_ids[0]].argsort()]
    return ordered.reshape(b, 2, 2, c, h, w).permute(0, 3, 1, 4, 2, 5).reshape(b, c, 2 * h, 2 * w)
''',
        "square tiles assumed (h used for the width)": '''
def unshuffle_tiles(tiles, permutation_ids):
    b, _, c, h, _ = tiles.shape
    ordered = tiles[torch.arange(b)[:, None], PERMUTATIONS[permutation_ids].argsort(1)]
    return ordered.reshape(b, 2, 2, c, h, h).permute(0, 3, 1, 4, 2, 5).reshape(b, c, 2 * h, 2 * h)
''',
        "tiles sorted in place in the input": '''
def unshuffle_tiles(tiles, permutation_ids):
    b, _, c, h, w = tiles.shape
    tiles.copy_(tiles[torch.arange(b)[:, None], PERMUTATIONS[permutation_ids].argsort(1)])
    return tiles.reshape(b, 2, 2, c, h, w).permute(0, 3, 1, 4, 2, 5).reshape(b, c, 2 * h, 2 * w)
''',
        "images returned as floats": '''
def unshuffle_tiles(tiles, permutation_ids):
    b, _, c, h, w = tiles.shape
    ordered = tiles.float()[torch.arange(b)[:, None], PERMUTATIONS[permutation_ids].argsort(1)]
    return ordered.reshape(b, 2, 2, c, h, w).permute(0, 3, 1, 4, 2, 5).reshape(b, c, 2 * h, 2 * w)
''',
    },
    "colorization_net": {
        "decoder on the pooled 256-d feature, output not upsampled": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.decoder = nn.Linear(256, 2)

    def forward(self, x):
        return self.decoder(self.backbone(x))[:, :, None, None]
''',
        "a fresh backbone inside the model": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = SmallCNN()
        self.decoder = nn.Sequential(nn.Conv2d(256, 2, 1), nn.Upsample(scale_factor=8, mode="bilinear"))

    def forward(self, x):
        return self.decoder(self.backbone.feature_map(x))
''',
        "predicts RGB instead of (a, b)": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.decoder = nn.Sequential(nn.Conv2d(256, 3, 1), nn.Upsample(scale_factor=8, mode="bilinear"))

    def forward(self, x):
        return self.decoder(self.backbone.feature_map(x))
''',
        "a ReLU after the last convolution": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.decoder = nn.Sequential(nn.Conv2d(256, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 2, 1), nn.ReLU(),
                                     nn.Upsample(scale_factor=8, mode="bilinear"))

    def forward(self, x):
        return self.decoder(self.backbone.feature_map(x))
''',
        "a sigmoid output": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.decoder = nn.Sequential(nn.Conv2d(256, 2, 1), nn.Upsample(scale_factor=8, mode="bilinear"),
                                     nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.backbone.feature_map(x))
''',
        "the backbone under torch.no_grad": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.decoder = nn.Sequential(nn.Conv2d(256, 2, 1), nn.Upsample(scale_factor=8, mode="bilinear"))

    def forward(self, x):
        with torch.no_grad():
            features = self.backbone.feature_map(x)
        return self.decoder(features)
''',
        "the decoder built inside forward": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, x):
        decoder = nn.Sequential(nn.Conv2d(256, 2, 1), nn.Upsample(scale_factor=8, mode="bilinear"))
        return decoder.to(x.device)(self.backbone.feature_map(x))
''',
        "one colour per image (pooled feature broadcast to every pixel)": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(256, 2)

    def forward(self, x):
        return self.head(self.backbone(x))[:, :, None, None].expand(-1, -1, *x.shape[2:])
''',
    },
    "colorization_loss": {
        "the grey input standardised twice": '''
def colorization_loss(model, images, _labels=None):
    lab = kornia.color.rgb_to_lab(images.float() / 255)
    grey = normalize_cifar((lab[:, :1] / 100).expand(-1, 3, -1, -1))
    return F.mse_loss(model(normalize_cifar(grey)), lab[:, 1:] / 128)
''',
        "the model sees the colour image": '''
def colorization_loss(model, images, _labels=None):
    lab = kornia.color.rgb_to_lab(images.float() / 255)
    return F.mse_loss(model(normalize_cifar(images)), lab[:, 1:] / 128)
''',
        "targets not divided by 128": '''
def colorization_loss(model, images, _labels=None):
    lab = kornia.color.rgb_to_lab(images.float() / 255)
    grey = (lab[:, :1] / 100).expand(-1, 3, -1, -1)
    return F.mse_loss(model(normalize_cifar(grey)), lab[:, 1:])
''',
        "luma grey input and RGB targets": '''
def colorization_loss(model, images, _labels=None):
    grey = kornia.color.rgb_to_grayscale(images.float() / 255).expand(-1, 3, -1, -1)
    return F.mse_loss(model(normalize_cifar(grey))[:, :2], images[:, :2].float() / 255)
''',
        "L not divided by 100": '''
def colorization_loss(model, images, _labels=None):
    lab = kornia.color.rgb_to_lab(images.float() / 255)
    grey = lab[:, :1].expand(-1, 3, -1, -1)
    return F.mse_loss(model(normalize_cifar(grey)), lab[:, 1:] / 128)
''',
        "a and b swapped": '''
def colorization_loss(model, images, _labels=None):
    lab = kornia.color.rgb_to_lab(images.float() / 255)
    grey = (lab[:, :1] / 100).expand(-1, 3, -1, -1)
    return F.mse_loss(model(normalize_cifar(grey)), lab[:, [2, 1]] / 128)
''',
        "pixels not scaled to [0, 1] before rgb_to_lab": '''
def colorization_loss(model, images, _labels=None):
    lab = kornia.color.rgb_to_lab(images.float())
    grey = (lab[:, :1] / 100).expand(-1, 3, -1, -1)
    return F.mse_loss(model(normalize_cifar(grey)), lab[:, 1:] / 128)
''',
        "summed instead of averaged": '''
def colorization_loss(model, images, _labels=None):
    lab = kornia.color.rgb_to_lab(images.float() / 255)
    grey = (lab[:, :1] / 100).expand(-1, 3, -1, -1)
    return F.mse_loss(model(normalize_cifar(grey)), lab[:, 1:] / 128, reduction="sum")
''',
        "32x32 images assumed": '''
def colorization_loss(model, images, _labels=None):
    lab = kornia.color.rgb_to_lab(images.float() / 255).view(len(images), 3, 32, 32)
    grey = (lab[:, :1] / 100).expand(-1, 3, -1, -1)
    return F.mse_loss(model(normalize_cifar(grey)), lab[:, 1:] / 128)
''',
        "the grey input without normalize_cifar": '''
def colorization_loss(model, images, _labels=None):
    lab = kornia.color.rgb_to_lab(images.float() / 255)
    grey = (lab[:, :1] / 100).expand(-1, 3, -1, -1)
    return F.mse_loss(model(grey), lab[:, 1:] / 128)
''',
    },
}

LAB_UTILS_ONLY = {
    "shuffle_tiles": {
        "lab_utils.augment crops instead of tiles": '''
from lab_utils import augment

def shuffle_tiles(images, permutation_ids):
    pixels = augment.to_float(images)
    crops = [augment.random_resized_crop(pixels, size=images.shape[2] // 2, scale=(0.25, 0.25)) for _ in range(4)]
    return torch.stack(crops, dim=1).to(images.dtype)
''',
    },
    "unshuffle_tiles": {
        "lab_utils.augment: the first tile resized to the whole image": '''
from lab_utils import augment

def unshuffle_tiles(tiles, permutation_ids):
    first = augment.to_float(tiles[:, 0])
    return augment.random_resized_crop(first, size=2 * tiles.shape[3], scale=(1.0, 1.0)).to(tiles.dtype)
''',
    },
    "colorization_net": {
        "lab_utils.extract_features of the backbone, broadcast": '''
class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, x):
        features = lab_utils.extract_features(self.backbone, x)
        return features[:, :2, None, None].expand(-1, -1, *x.shape[2:])
''',
    },
    "colorization_loss": {
        "lab_utils.augment.to_grayscale as the grey input": '''
from lab_utils import augment

def colorization_loss(model, images, _labels=None):
    pixels = augment.to_float(images)
    grey = augment.to_grayscale(pixels)
    return F.mse_loss(model(normalize_cifar(grey)), (pixels - grey)[:, :2])
''',
    },
}
