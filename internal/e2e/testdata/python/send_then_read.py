"""Sends one request with a body of SIZE bytes whole, then reads the answer,
as most HTTP client libraries do (http.client, like Python's requests on top
of it, writes the body before it looks at the socket for an answer). Prints
the status and the body; exits 1 when the connection broke instead.

usage: python3 send_then_read.py HOST PORT PATH SIZE [HEADER: VALUE]...
"""
import http.client
import sys

host, port, path, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
headers = dict(h.split(": ", 1) for h in sys.argv[5:])
headers["Content-Length"] = str(size)
conn = http.client.HTTPConnection(host, port, timeout=30)
try:
    conn.request("POST", path, body=b"x" * size, headers=headers)
    res = conn.getresponse()
    print(res.status)
    print(res.read().decode("utf-8", "replace"))
except OSError as err:
    print("connection broke:", repr(err))
    sys.exit(1)
