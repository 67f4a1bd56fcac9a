import pytest
import torch

from course_utils.lessons.l05_mnist import augmented_loader, random_affine


def _blob_images(n, size=16):
    """A bright 4x4 square in the middle of a dark (-1) background."""
    images = torch.full((n, 1, size, size), -1.0)
    images[:, :, size // 2 - 2:size // 2 + 2, size // 2 - 2:size // 2 + 2] = 1.0
    return images


def _centre_of_mass(images, background):
    weights = (images - background).clamp(min=0)[:, 0]
    rows = torch.arange(images.shape[2], dtype=torch.float32).view(1, -1, 1)
    cols = torch.arange(images.shape[3], dtype=torch.float32).view(1, 1, -1)
    total = weights.sum(dim=(1, 2))
    return (weights * rows).sum(dim=(1, 2)) / total, (weights * cols).sum(dim=(1, 2)) / total


def test_no_transform_returns_the_images():
    images = torch.randn(5, 1, 12, 12)
    out = random_affine(images, max_rotation=0, max_scale=0, max_shift=0)
    assert torch.allclose(out, images, atol=1e-5)


def test_shift_moves_the_content_by_at_most_max_shift():
    images = _blob_images(1)
    moved = random_affine(images, 0, 0, max_shift=3, fill=-1.0,
                          generator=torch.Generator().manual_seed(0))
    row, col = _centre_of_mass(moved, -1.0)
    row0, col0 = _centre_of_mass(images, -1.0)
    assert 0.05 < abs(row - row0) + abs(col - col0)  # it moved
    assert abs(row - row0) <= 3 + 1e-4 and abs(col - col0) <= 3 + 1e-4


def test_shifts_stay_within_max_shift_and_differ_per_image():
    images = _blob_images(300)
    moved = random_affine(images, max_rotation=0, max_scale=0, max_shift=2, fill=-1.0,
                          generator=torch.Generator().manual_seed(1))
    rows, cols = _centre_of_mass(moved, -1.0)
    row0, col0 = _centre_of_mass(images[:1], -1.0)
    assert (rows - row0).abs().max() <= 2 + 1e-3 and (cols - col0).abs().max() <= 2 + 1e-3
    assert (rows - row0).abs().max() > 1.5  # the full range is used
    assert len(torch.unique((rows * 100).round())) > 50  # every image has its own offset


def test_background_is_filled_with_fill_value():
    images = torch.full((4, 1, 10, 10), -0.42)
    out = random_affine(images, max_rotation=30, max_scale=0.2, max_shift=3, fill=-0.42)
    assert torch.allclose(out, images, atol=1e-5)  # no zero-valued border appears


def test_rotation_and_scale_keep_the_digit_roughly_the_same():
    images = _blob_images(50, size=28)
    out = random_affine(images, max_rotation=10, max_scale=0.1, max_shift=0, fill=-1.0,
                        generator=torch.Generator().manual_seed(2))
    mass_in = (images + 1).sum(dim=(1, 2, 3))
    mass_out = (out + 1).sum(dim=(1, 2, 3))
    ratio = mass_out / mass_in
    assert ((ratio > 0.75) & (ratio < 1.3)).all()  # area changes by at most scale squared
    assert not torch.allclose(out, images)


def test_seeded_generator_repeats():
    images = torch.randn(6, 1, 8, 8)
    a = random_affine(images, generator=torch.Generator().manual_seed(3))
    b = random_affine(images, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


@pytest.mark.parametrize("bad", [torch.zeros(3, 8, 8), torch.zeros(2, 1, 4, 4, dtype=torch.uint8),
                                 [1, 2, 3]])
def test_rejects_wrong_inputs(bad):
    with pytest.raises(ValueError, match="float tensor of shape"):
        random_affine(bad)


def test_rejects_bad_ranges():
    with pytest.raises(ValueError, match="max_scale < 1"):
        random_affine(torch.zeros(1, 1, 4, 4), max_scale=1.5)
    with pytest.raises(ValueError, match=">= 0"):
        random_affine(torch.zeros(1, 1, 4, 4), max_shift=-1)


def test_loader_yields_every_sample_once_per_epoch_transformed():
    X = torch.zeros(10, 1, 4, 4)
    y = torch.arange(10)
    torch.manual_seed(0)
    batches = list(augmented_loader(X, y, lambda batch: batch + 1, batch_size=4))
    assert [len(labels) for _, labels in batches] == [4, 4, 2]
    assert sorted(torch.cat([labels for _, labels in batches]).tolist()) == list(range(10))
    assert all(torch.equal(images, torch.ones(len(images), 1, 4, 4)) for images, _ in batches)


def test_loader_order_repeats_after_reseeding():
    X, y = torch.zeros(20, 1, 2, 2), torch.arange(20)
    orders = []
    for _ in range(2):
        torch.manual_seed(5)
        orders.append(torch.cat([labels for _, labels in augmented_loader(X, y, lambda b: b, 8)]))
    assert torch.equal(orders[0], orders[1])


def test_loader_checks_its_arguments():
    with pytest.raises(ValueError, match="3 images but y has 2 labels"):
        augmented_loader(torch.zeros(3, 1, 4, 4), torch.zeros(2), lambda b: b)
    with pytest.raises(TypeError, match="transform must be a function"):
        augmented_loader(torch.zeros(3, 1, 4, 4), torch.zeros(3), transform=2)
