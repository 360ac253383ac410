#!/usr/bin/env python3
# Shared by the benchmarks (bench/session, bench/scale): a poller for a console's first TICK, and
# QEMU's own restore of a carrier's state over QMP with a session's captured command line.
import glob, json, os, socket, subprocess, sys, time

def wait_tick(console, out, ready=None, timeout=120):
    """Writes the time the first 'TICK ' line shows up in console (which may not exist yet; with a
    '*' in it, a glob pattern: in any file it matches); first creates the file ready, if given, to
    say it polls."""
    if ready:
        open(ready, 'w').close()
    end = time.time() + timeout
    while time.time() < end:
        for name in glob.glob(console) if '*' in console else [console]:
            try:
                with open(name, 'rb') as f:
                    if any(line.startswith(b'TICK ') for line in f):
                        with open(out, 'w') as o:
                            o.write('%.6f\n' % time.time())
                        return
            except FileNotFoundError:
                pass
        time.sleep(0.005)
    sys.exit('no TICK in %s within %d s' % (console, timeout))

class Qmp:
    def __init__(self, path, qemu, deadline):
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if qemu.poll() is not None or time.time() > deadline:
                    sys.exit('QEMU did not answer on %s (exit code %s)' % (path, qemu.poll()))
                time.sleep(0.002)
        self.f = self.s.makefile('rwb')
        json.loads(self.f.readline())  # greeting
        self.cmd('qmp_capabilities')

    def cmd(self, name, **args):
        self.f.write(json.dumps({'execute': name, 'arguments': args}).encode() + b'\n')
        self.f.flush()
        while True:
            reply = json.loads(self.f.readline())
            if 'return' in reply:
                return reply['return']
            if 'error' in reply:
                raise RuntimeError('%s: %s' % (name, reply['error']))

def qemu_args(cmdline_file, disk, console, qmp):
    """The session's QEMU command line with this run's overlay, console and QMP socket."""
    captured = open(cmdline_file, 'rb').read().decode().rstrip('\0').split('\0')
    # The chain below the overlay (nodes chain1, chain2, ...; the session keeper's NBD exports,
    # gone with the session) is left out: the overlay's own backing file is followed instead.
    args = []
    for a in captured:
        if a.startswith('{') and json.loads(a).get('node-name', '').startswith('chain'):
            args.pop()  # its -blockdev
            continue
        args.append(a)
    for i, a in enumerate(args):
        if a.startswith('{') and json.loads(a).get('node-name') == 'disk0-file':
            node = json.loads(a); node['filename'] = disk; args[i] = json.dumps(node)
        elif a.startswith('{') and json.loads(a).get('node-name') == 'disk0':
            # The captured chain names the first resume's images, which later ends merged away:
            # the overlay's own backing file (the last generation's top) is followed instead.
            node = json.loads(a); node.pop('backing', None); args[i] = json.dumps(node)
        elif a.startswith('file,id=console0,'):
            args[i] = 'file,id=console0,path=' + console.replace(',', ',,')
        elif a.startswith('socket,id=qmp0,'):
            args[i] = 'socket,id=qmp0,path=%s,server=on,wait=off' % qmp.replace(',', ',,')
    return args

def reference(cmdline_file, disk, state, work, full):
    """Prints QEMU start to QMP (s) and, for full, the whole restore to the first TICK (s)."""
    console, qmp_path, mig = work + '/ref-console.log', work + '/ref-qmp.sock', work + '/ref-mig.sock'
    for p in (console, qmp_path, mig):
        if os.path.exists(p):
            os.remove(p)
    t0 = time.time()
    qemu = subprocess.Popen(qemu_args(cmdline_file, disk, console, qmp_path),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        qmp = Qmp(qmp_path, qemu, t0 + 30)
        ready = time.time() - t0
        if not full:
            print('%.3f' % ready)
            return
        qmp.cmd('migrate-incoming', uri='unix:' + mig)
        feed = socket.socket(socket.AF_UNIX)
        feed.connect(mig)
        subprocess.run(['zstd', '-q', '-dc', state], stdout=feed.fileno(), check=True)
        feed.shutdown(socket.SHUT_WR)
        while qmp.cmd('query-migrate').get('status') != 'completed':
            time.sleep(0.005)
        while qmp.cmd('query-status')['status'] != 'paused':
            time.sleep(0.005)
        qmp.cmd('cont')
        tick = work + '/ref-tick'
        wait_tick(console, tick)
        print('%.3f %.3f' % (ready, float(open(tick).read()) - t0))
        feed.close()
    finally:
        qemu.kill()
        qemu.wait()

if __name__ == '__main__':
    if sys.argv[1] == 'wait-tick':
        wait_tick(*sys.argv[2:5])
    else:
        reference(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[1] == 'full')
