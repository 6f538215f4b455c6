"""Answer variants for notebook 02b (RotNet in Keras), keyed by the grade id of the solution cell.

CORRECT: right answers written differently from the reference; each must get full marks.
WRONG: typical mistakes; each must lose that exercise's points.
LAB_UTILS_ONLY: the closest the exercise comes to being solved with the helper package alone;
it must earn nothing.
"""

CORRECT = {
    "rotnet_classifier": {
        "functional API on a frozen feature extractor": '''
def rotnet_classifier(rotnet):
    features = keras.Model(rotnet.inputs, rotnet.get_layer("pool2").output)
    features.trainable = False
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Flatten()(features(inputs))
    return keras.Model(inputs, keras.layers.Dense(10)(x))
''',
        "weights copied into new layers with set_weights": '''
def rotnet_classifier(rotnet):
    layers = conv_layers()
    model = build_classifier(layers, "copied")          # builds the layers, so they have weights
    for new, old in zip(layers, rotnet.layers[:4]):
        new.set_weights(old.get_weights())
        new.trainable = False
    return model
''',
        "the whole RotNet frozen, then its first four layers reused": '''
def rotnet_classifier(rotnet):
    rotnet.trainable = False
    reused = [rotnet.get_layer(name) for name in ("conv1", "pool1", "conv2", "pool2")]
    return keras.Sequential([keras.Input((28, 28, 1)), *reused, keras.layers.Flatten(),
                             keras.layers.Dense(10, activation=None)])
''',
        "clone_model, weights set, layers frozen by name": '''
def rotnet_classifier(rotnet):
    copy = keras.models.clone_model(rotnet)
    copy.set_weights(rotnet.get_weights())
    for name in ("conv1", "conv2"):
        copy.get_layer(name).trainable = False
    kept = [copy.get_layer(name) for name in ("conv1", "pool1", "conv2", "pool2")]
    return build_classifier(kept, "cloned")
''',
    },
}

WRONG = {
    "rotnet_classifier": {
        "the reused layers not frozen": '''
def rotnet_classifier(rotnet):
    return build_classifier(rotnet.layers[:4], "not_frozen")
''',
        "new convolution layers, frozen (no transfer)": '''
def rotnet_classifier(rotnet):
    layers = conv_layers()
    for layer in layers:
        layer.trainable = False
    return build_classifier(layers, "random_features")
''',
        "the whole model frozen, head included": '''
def rotnet_classifier(rotnet):
    model = build_classifier(rotnet.layers[:4], "all_frozen")
    model.trainable = False
    return model
''',
        "conv3 kept too": '''
def rotnet_classifier(rotnet):
    frozen = rotnet.layers[:5]
    for layer in frozen:
        layer.trainable = False
    return build_classifier(frozen, "with_conv3")
''',
        "a softmax on the head": '''
def rotnet_classifier(rotnet):
    frozen = rotnet.layers[:4]
    for layer in frozen:
        layer.trainable = False
    return keras.Sequential([keras.Input((28, 28, 1)), *frozen, keras.layers.Flatten(),
                             keras.layers.Dense(10, activation="softmax")])
''',
        "a ReLU on the head": '''
def rotnet_classifier(rotnet):
    frozen = rotnet.layers[:4]
    for layer in frozen:
        layer.trainable = False
    return keras.Sequential([keras.Input((28, 28, 1)), *frozen, keras.layers.Flatten(),
                             keras.layers.Dense(10, activation="relu")])
''',
        "the whole RotNet, rotation head included, under Dense(10)": '''
def rotnet_classifier(rotnet):
    rotnet.trainable = False
    return keras.Sequential([keras.Input((28, 28, 1)), rotnet, keras.layers.Dense(10)])
''',
        "clone_model without copying the weights": '''
def rotnet_classifier(rotnet):
    copy = keras.models.clone_model(rotnet)
    frozen = copy.layers[:4]
    for layer in frozen:
        layer.trainable = False
    return build_classifier(frozen, "fresh_clone")
''',
    },
}

LAB_UTILS_ONLY = {
    "rotnet_classifier": {
        "lab_utils.SmallCNN: the course's backbone instead of the RotNet": '''
def rotnet_classifier(rotnet):
    return lab_utils.SmallCNN(in_channels=1)
''',
    },
}
