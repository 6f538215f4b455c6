"""Answer variants for notebook 02b (RotNet in Keras), keyed by the grade id of the solution cell.

WRONG: typical mistakes; each must lose that exercise's points.
CORRECT: right answers written differently from the reference; each must get full marks.
"""

WRONG = {
    "rotation_dataset": {
        "turns clockwise": '''
def make_rotation_dataset(images):
    x = np.concatenate([np.rot90(images, -k, axes=(1, 2)) for k in range(4)])
    return x.astype(np.float32), np.repeat(np.arange(4), len(images)).astype(np.int64)
''',
        "labels rotation-major, images image-major": '''
def make_rotation_dataset(images):
    x = np.stack([np.rot90(image, k) for image in images for k in range(4)])
    return x.astype(np.float32), np.repeat(np.arange(4), len(images)).astype(np.int64)
''',
        "the seed's loop, off by one image": '''
def make_rotation_dataset(images):
    n = len(images)
    x = np.zeros((4 * n, *images.shape[1:]), dtype=np.float32)
    y = np.zeros(4 * n, dtype=np.int64)
    for i in range(n):
        for k in range(4):
            x[4 * i + k] = np.rot90(images[i], k)
            y[4 * i + k - 4] = k
    y = np.roll(y, -1)
    return x, y
''',
        "turns the whole stack instead of each image": '''
def make_rotation_dataset(images):
    x = np.concatenate([np.rot90(images, k, axes=(0, 1)) if k % 2 == 0 else images for k in range(4)])
    return x.astype(np.float32), np.repeat(np.arange(4), len(images)).astype(np.int64)
''',
        "one-hot labels": '''
def make_rotation_dataset(images):
    x = np.concatenate([np.rot90(images, k, axes=(1, 2)) for k in range(4)])
    return x.astype(np.float32), np.eye(4, dtype=np.int64)[np.repeat(np.arange(4), len(images))]
''',
    },
}

CORRECT = {
    "rotation_dataset": {
        "the seed's loop, index written correctly": '''
def make_rotation_dataset(images):
    n = len(images)
    x = np.zeros((4 * n, *images.shape[1:]), dtype=np.float32)
    y = np.zeros(4 * n, dtype=np.int64)
    for i in range(n):
        for k in range(4):
            x[4 * i + k] = np.rot90(images[i], k)   # axes (0, 1) of one (H, W, 1) image
            y[4 * i + k] = k
    return x, y
''',
        "tf.image.rot90": '''
import tensorflow as tf

def make_rotation_dataset(images):
    x = tf.concat([tf.image.rot90(images, k) for k in range(4)], axis=0).numpy()
    return x.astype(np.float32), np.repeat(np.arange(4), len(images)).astype(np.int64)
''',
    },
}
