"""Flood POST /password/reset/<random> (a separate process, N threads released at once) while a
logged-in representative loads a section page in this process.

usage: flood.py BASE EMAIL PASSWORD [N]"""
import http.cookiejar, re, secrets, subprocess, sys, threading, time, urllib.error, urllib.parse, urllib.request
from collections import Counter

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None

def opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())

def call(op, url, data=None, timeout=60):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with op.open(url, body, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace"), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace"), e.headers

def csrf(op, base, path):
    _, html, _ = call(op, base + path)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

def flood_only(base, n):
    flooder = opener()
    token = csrf(flooder, base, "/login")
    answers, lock, start = Counter(), threading.Lock(), threading.Barrier(n + 1)
    def one():
        start.wait()
        url = base + "/password/reset/" + secrets.token_urlsafe(32)
        form = {"csrf_token": token, "password": "a brand new password", "password_confirm": "a brand new password"}
        try:
            status = call(flooder, url, form)[0]
        except Exception as e:
            status = "error " + type(e).__name__
        with lock:
            answers[status] += 1
    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    sys.stdin.readline()  # the measuring process says go
    start.wait()
    t0 = time.time()
    for t in threads:
        t.join()
    print(f"flood {n} posts: answers {dict(answers)} in {time.time() - t0:.2f} s", flush=True)

if sys.argv[1] == "--flood-only":
    flood_only(sys.argv[2], int(sys.argv[3]))
    sys.exit(0)

base, email, password = sys.argv[1], sys.argv[2], sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 300
rep = opener()
status, _, headers = call(rep, base + "/login", {"csrf_token": csrf(rep, base, "/login"), "email": email, "password": password})
assert status == 303, status
_, html, _ = call(rep, base + headers["Location"])
_, html, _ = call(rep, base + re.search(r'href="(/responses/[^"/]+)"', html).group(1))
page = re.search(r'href="(/responses/[^"/]+/sections/[^"?#]+)"', html).group(1)
assert call(rep, base + page)[0] == 200
flood = subprocess.Popen([sys.executable, __file__, "--flood-only", base, str(n)], stdin=subprocess.PIPE, text=True)
time.sleep(1.0)  # its threads start and wait at the barrier
flood.stdin.write("go\n")
flood.stdin.flush()
times, during, failures = [], [], []
while flood.poll() is None or len(times) < 100:
    alive = flood.poll() is None
    s = time.time()
    status = call(rep, base + page)[0]
    times.append((time.time() - s) * 1000)
    if alive:
        during.append(times[-1])
    if status != 200:
        failures.append(("page", status))
    status = call(opener(), base + "/healthz")[0]
    if status != 200:
        failures.append(("healthz", status))
times.sort()
during.sort()
p = lambda q: times[min(len(times) - 1, max(0, int(len(times) * q + 0.999) - 1))]
print(f"section page: {len(times)} loads, p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {times[-1]:.1f} ms; "
      f"{len(during)} started while the flood ran, max {during[-1] if during else 0:.1f} ms; failures {failures}")
