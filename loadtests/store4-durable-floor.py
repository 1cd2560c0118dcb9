#!/usr/bin/python3
"""The disk's floor under store-4: how many 525 KB instances per second four writers at once can make durable here,
before any archive code runs (no network, no parsing, no index; Python threads, whose syscalls release the GIL).

Strategies, each over COUNT files split across WRITERS threads:
  archive   what FileBlobStore does per blob: O_DIRECT write of the aligned part, the tail through the page cache,
            fsync, rename into place, fsync of the folder;
  datasync  the least one file can cost: buffered write of the whole file, fdatasync (no rename, no folder fsync:
            not durable as a *name*, so this is below any real archive);
  group     the writers only write (buffered); one flusher thread runs syncfs() over and over, and each writer
            waits for a syncfs that began after its write had ended (group commit of files: one device flush
            for as many blobs as arrived meanwhile; also below any real archive, which must name its files).
An archive that acknowledges an instance only once it is durable cannot store faster than the best of these, and it
must still commit its index (a WAL flush) before the acknowledgement.

  /usr/bin/python3 loadtests/store4-durable-floor.py DIR [COUNT] [WRITERS]    # DIR on the blob store's filesystem
"""
import mmap, os, sys, threading, time, fcntl

root = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
writers = int(sys.argv[3]) if len(sys.argv) > 3 else 4
size = 525776                                  # the harness' CT instance
aligned = size // 4096 * 4096
buf = mmap.mmap(-1, 1 << 20)                   # page-aligned, as O_DIRECT needs
buf.write(os.urandom(1 << 20))
view = memoryview(buf)


def archive(i, folder):
    staged = f"{folder}/staging/{i}.tmp"
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_DIRECT, 0o644)
    os.pwrite(fd, view[:aligned], 0)
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_DIRECT)
    os.pwrite(fd, view[:size - aligned], aligned)
    os.fsync(fd)
    os.close(fd)
    os.rename(staged, f"{folder}/final/{i}.dcm")
    d = os.open(f"{folder}/final", os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(d)
    os.close(d)


def datasync(i, folder):
    fd = os.open(f"{folder}/final/{i}.dcm", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.pwrite(fd, view[:size], 0)
    os.fdatasync(fd)
    os.close(fd)


class Group:
    def __init__(self, folder):
        self.cond = threading.Condition()
        self.started = 0        # syncfs calls begun
        self.done = 0           # syncfs calls ended
        self.stop = False
        self.fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        self.flushes = 0
        threading.Thread(target=self.flusher, daemon=True).start()

    def flusher(self):
        libc = __import__("ctypes").CDLL(None, use_errno=True)
        while True:
            with self.cond:
                while not self.stop and self.waiting == 0:
                    self.cond.wait()
                if self.stop:
                    return
                self.started += 1
                ticket = self.started
            libc.syncfs(self.fd)
            self.flushes += 1
            with self.cond:
                self.done = ticket
                self.cond.notify_all()

    waiting = 0

    def write(self, i, folder):
        fd = os.open(f"{folder}/final/{i}.dcm", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.pwrite(fd, view[:size], 0)
        os.close(fd)
        with self.cond:
            need = self.started + 1     # a flush that starts after this write
            self.waiting += 1
            self.cond.notify_all()
            while self.done < need:
                self.cond.wait()
            self.waiting -= 1


def run(name, step):
    folder = f"{root}/{name}"
    os.makedirs(f"{folder}/staging", exist_ok=True)
    os.makedirs(f"{folder}/final", exist_ok=True)
    group = Group(folder) if name == "group" else None
    fn = group.write if group else step
    per = count // writers
    lat = []
    lock = threading.Lock()

    def worker(w):
        mine = []
        for k in range(per):
            t = time.perf_counter()
            fn(w * per + k, folder)
            mine.append(time.perf_counter() - t)
        with lock:
            lat.extend(mine)

    os.sync()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    if group:
        with group.cond:
            group.stop = True
            group.cond.notify_all()
    lat.sort()
    n = len(lat)
    extra = f", {group.flushes} syncfs" if group else ""
    print(f"{name:9s} {writers} writers x {per}: {n / wall:7.1f} files/s ({n * size / wall / 1e6:6.1f} MB/s), "
          f"p50 {lat[n // 2] * 1e3:6.2f} ms, p90 {lat[n * 9 // 10] * 1e3:6.2f} ms, CPU {cpu / n * 1e3:.3f} ms each{extra}",
          flush=True)
    os.system(f"rm -rf '{folder}'")


only = os.environ.get("FLOOR_ONLY")
for name, step in (("archive", archive), ("datasync", datasync), ("group", None)):
    if only is None or only == name:
        run(name, step)
