"""CIFAR-scale training: CNN families, data on the device, resumable runs (chapters 2 and 4).

One model per run, the whole dataset as one tensor on the device, batched on-device transforms and a checkpoint
after every epoch; runs fan out through :func:`lrlib.sweep.sweep`. Modules: ``data`` (datasets on the device,
epoch orders, crop and flip, chapter 2's patch transform), ``models`` (WRN-d-k, ResNet-18 with or without
BatchNorm, a small CNN; activation noise), ``train`` (the trainer), ``checkpoint``, ``hessian``, ``bench``.
"""
