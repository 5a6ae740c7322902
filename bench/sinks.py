#!/usr/bin/env python3
"""Stand-ins for the services telemetry talks to, for bench/telemetry.sh (bench/README.md,
"Telemetry"), on 127.0.0.1 only:

  sinks.py sink PORT       answers every POST with 200 {} after reading its body (a Sentry
                           envelope endpoint or an OTLP/HTTP collector that keeps nothing);
                           prints the requests and bytes it got when stopped
  sinks.py blackhole PORT  accepts connections and never reads or answers (a DSN whose
                           host has gone dark)
"""
import http.server
import signal
import socket
import sys
import threading

counts = {"requests": 0, "bytes": 0}
lock = threading.Lock()


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        with lock:
            counts["requests"] += 1
            counts["bytes"] += len(body)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def report(*_):
    print(f"sink: {counts['requests']} requests, {counts['bytes']} bytes", flush=True)
    sys.exit(0)


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGTERM, report)
    if mode == "sink":
        http.server.ThreadingHTTPServer(("127.0.0.1", port), Sink).serve_forever()
    elif mode == "blackhole":
        held = []
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(1024)
        while True:
            conn, _ = server.accept()
            held.append(conn)  # kept open, never read: the client waits for ever
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
