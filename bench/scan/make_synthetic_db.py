#!/usr/bin/python3
"""Writes a synthetic ClamAV signature database for furoshiki_scan_bench (bench/README.md).

The real database (main + daily) holds millions of signatures, and the engine's load time,
memory and scan speed depend on how many there are and of which kinds. This script writes a
directory of plain signature files of a comparable size, made of random signatures:

  synthetic.hdb  MD5 hash signatures      md5:size:Name
  synthetic.hsb  SHA-256 hash signatures  sha256:size:Name
  synthetic.ndb  body signatures          Name:target:offset:hex

Never matching, and EICAR-free: every hash is 16 or 32 random bytes and every body signature
holds at least 20 random bytes (160 bits and more), so that no real file matches any of them
except with a probability far below anything a benchmark could observe; no signature is derived
from EICAR or from any real malware. A scan of the benchmark's inputs with this database must
therefore come back clean, and the benchmark checks that it does.

Body signatures are 20-60 random bytes, some split by ClamAV wildcards (`??`, `*`, `{n-m}`), some
anchored at an offset (`EOF-n`, `n`, `n,m`), and some with a target type other than 0 (PE, ELF,
HTML...) as in the real database. Their number and shape drive the matcher's work on every byte;
hash signatures only cost a hash per scanned file (and per archive member) whose size one of them
names, plus memory.

Python 3 standard library only. Deterministic for a given --seed.
"""

import argparse
import os
import random
import sys

# The real database (main.cvd + daily.cvd, 2025) is about 3.6 million hash signatures and a few
# hundred thousand body and logical signatures; these defaults are of that order.
DEFAULT_MD5 = 2_000_000
DEFAULT_SHA256 = 1_000_000
DEFAULT_BODY = 300_000

SMALL_MD5 = 200_000
SMALL_SHA256 = 100_000
SMALL_BODY = 30_000

# Target types besides 0 (any file) that real body signatures use, with rough shares.
TARGETS = [(0, 0.70), (1, 0.15), (3, 0.08), (6, 0.03), (7, 0.02), (9, 0.02)]


def file_size(rng):
    """A file size as hash signatures name them: log-uniform from 64 bytes to 16 MiB."""
    return int(2 ** rng.uniform(6, 24))


def random_hex(rng, n):
    return rng.getrandbits(8 * n).to_bytes(n, "big").hex()


def body_pattern(rng):
    """20-60 random bytes as ClamAV hex, one in five split in two or three parts by a wildcard."""
    total = rng.randint(20, 60)
    if rng.random() >= 0.2:
        return random_hex(rng, total)
    # Every part keeps at least 10 bytes: libclamav's matcher needs 2-3 static bytes per part, and
    # 10 random bytes per part keep each part on its own far from matching anything.
    parts = 2 if total < 30 else rng.choice((2, 3))
    lengths = []
    left = total
    for k in range(parts - 1, 0, -1):
        n = rng.randint(10, left - 10 * k)
        lengths.append(n)
        left -= n
    lengths.append(left)
    pieces = [random_hex(rng, n) for n in lengths]
    out = pieces[0]
    for piece in pieces[1:]:
        wildcard = rng.choice(("??", "????", "*", "{%d-%d}" % (w := rng.randint(0, 8), w + rng.randint(1, 32))))
        out += wildcard + piece
    return out


def body_offset(rng):
    r = rng.random()
    if r < 0.85:
        return "*"
    if r < 0.92:
        return str(rng.randint(0, 4096))
    if r < 0.97:
        return "%d,%d" % (rng.randint(0, 1024), rng.randint(1, 65536))
    return "EOF-%d" % rng.randint(20, 4096)


def body_target(rng):
    r, acc = rng.random(), 0.0
    for target, share in TARGETS:
        acc += share
        if r < acc:
            return target
    return 0


def write_lines(path, count, line):
    with open(path, "w", encoding="ascii", buffering=1 << 20) as out:
        batch = []
        for i in range(count):
            batch.append(line(i))
            if len(batch) == 10000:
                out.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            out.write("\n".join(batch) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", help="where to write the database files (created if missing)")
    parser.add_argument("--small", action="store_true",
                        help="a tenth of the default size (%d MD5, %d SHA-256, %d body)" %
                        (SMALL_MD5, SMALL_SHA256, SMALL_BODY))
    parser.add_argument("--md5", type=int, help="MD5 hash signatures (default %d)" % DEFAULT_MD5)
    parser.add_argument("--sha256", type=int, help="SHA-256 hash signatures (default %d)" % DEFAULT_SHA256)
    parser.add_argument("--body", type=int, help="body signatures (default %d)" % DEFAULT_BODY)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()

    md5 = args.md5 if args.md5 is not None else (SMALL_MD5 if args.small else DEFAULT_MD5)
    sha256 = args.sha256 if args.sha256 is not None else (SMALL_SHA256 if args.small else DEFAULT_SHA256)
    body = args.body if args.body is not None else (SMALL_BODY if args.small else DEFAULT_BODY)
    if min(md5, sha256, body) < 0 or md5 + sha256 + body == 0:
        parser.error("signature counts must be >= 0 and not all zero")

    os.makedirs(args.directory, exist_ok=True)
    rng = random.Random(args.seed)
    files = [("synthetic.hdb", md5, lambda i: "%s:%d:Furoshiki.Bench.Md5-%d" % (random_hex(rng, 16), file_size(rng), i)),
             ("synthetic.hsb", sha256,
              lambda i: "%s:%d:Furoshiki.Bench.Sha256-%d" % (random_hex(rng, 32), file_size(rng), i)),
             ("synthetic.ndb", body, lambda i: "Furoshiki.Bench.Body-%d:%d:%s:%s" %
              (i, body_target(rng), body_offset(rng), body_pattern(rng)))]
    for name, count, line in files:
        path = os.path.join(args.directory, name)
        if count == 0:
            if os.path.exists(path):
                os.remove(path)
            continue
        write_lines(path, count, line)
        print("%s: %d signatures, %d bytes" % (path, count, os.path.getsize(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
