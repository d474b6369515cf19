"""Importing images: elapsed time beside `sha256sum` over the same files, measured in one run.

    python benchmarks/import_images.py [--count 10000] [--size 1000x1000] [--link] [--images DIR]

Generates COUNT JPEGs of about one megapixel (noise over gradients, so they do not compress to
nothing), then times, on warm files:
  * `sha256sum` over all of them (the reference: reading and hashing every byte),
  * LabelHub's import into a fresh project (hash, header, EXIF, no pixel decode, copy into the
    media store unless --link, one transaction).
Prints both figures and the ratio. The target for issue 4 is a ratio <= 1.5.
--images DIR keeps the generated JPEGs in DIR and reuses them on the next run (generating
10,000 takes minutes).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from labelhub.project import Project


def make_images(folder: Path, count: int, width: int, height: int) -> int:
    rng = np.random.default_rng(7)
    base = np.linspace(0, 200, width, dtype=np.float32)[None, :, None]
    total = 0
    for i in range(count):
        sub = folder / f"batch{i // 1000:03d}"
        sub.mkdir(exist_ok=True)
        noise = rng.integers(0, 55, size=(height // 8, width // 8, 3), dtype=np.uint8)
        noise = np.kron(noise, np.ones((8, 8, 1), np.uint8))[:height, :width]
        pixels = (base + noise + (i % 50)).clip(0, 255).astype(np.uint8)
        path = sub / f"img{i:06d}.jpg"
        Image.fromarray(np.broadcast_to(pixels, (height, width, 3)).copy()).save(path, quality=90)
        total += path.stat().st_size
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--size", default="1000x1000")
    ap.add_argument("--link", action="store_true", help="link in place instead of copying")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--images", type=Path, default=None, help="generate into (or reuse) this folder")
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="labelhub-bench-import-"))
    try:
        images = args.images or tmp / "images"
        files = sorted(str(p) for p in images.rglob("*.jpg")) if images.is_dir() else []
        if len(files) != args.count:
            shutil.rmtree(images, ignore_errors=True)
            images.mkdir(parents=True)
            t0 = time.perf_counter()
            total = make_images(images, args.count, width, height)
            print(f"generated {args.count} JPEGs of {width}x{height}, {total / 1e6:.0f} MB, "
                  f"in {time.perf_counter() - t0:.1f} s")
            files = sorted(str(p) for p in images.rglob("*.jpg"))
        else:
            print(f"reusing {len(files)} JPEGs in {images}")
        # warm the page cache for both contenders
        subprocess.run(["cat", *files[:1]], stdout=subprocess.DEVNULL, check=True)
        for chunk in range(0, len(files), 2000):
            subprocess.run(["cat", *files[chunk : chunk + 2000]], stdout=subprocess.DEVNULL, check=True)

        t0 = time.perf_counter()
        for chunk in range(0, len(files), 2000):
            subprocess.run(["sha256sum", *files[chunk : chunk + 2000]], stdout=subprocess.DEVNULL, check=True)
        reference = time.perf_counter() - t0

        with Project.create(tmp / "project", lead="bench") as p:
            p.create_dataset("bench")
            t0 = time.perf_counter()
            report = p.import_images("bench", [images], link=args.link)
            ours = time.perf_counter() - t0
        assert len(report.imported) == args.count, report.summary()

        mode = "linked in place" if args.link else "copied into media/"
        print(f"sha256sum over {args.count} files:      {reference:8.2f} s")
        print(f"labelhub import ({mode}): {ours:8.2f} s  ({args.count / ours:,.0f} images/s)")
        print(f"ratio labelhub / sha256sum:          {ours / reference:8.2f}  (target <= 1.5)")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
