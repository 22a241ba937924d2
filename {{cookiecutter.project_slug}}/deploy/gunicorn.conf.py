"""Gunicorn settings for production (`gunicorn -c deploy/gunicorn.conf.py config.wsgi`).

Each number can be changed from the environment (the systemd unit's EnvironmentFile) without
editing this file; docs/deployment.md explains how to size them.
"""

import os


def setting(variable: str, default: int) -> int:
    return int(os.environ.get(variable, default))


# Under systemd the socket unit passes the listening socket and this is ignored. With PORT set, as
# platforms that start the process themselves do, Gunicorn listens on TCP; otherwise on nginx's
# socket, or wherever GUNICORN_BIND says.
if "GUNICORN_BIND" not in os.environ and "PORT" in os.environ:
    bind = f"0.0.0.0:{os.environ['PORT']}"
else:
    bind = os.environ.get("GUNICORN_BIND", "unix:/run/{{ cookiecutter.project_slug }}/gunicorn.sock")
# On an app server of several: GUNICORN_BIND is the private address nginx reaches it on, e.g.
# 10.0.0.11:8000.
# Addresses whose X-Forwarded-Proto Gunicorn believes: the load balancer's (its private address
# when Gunicorn listens on TCP). A connection over the local socket is always trusted.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Processes use every core this service may run on; threads let each process overlap the time
# its requests spend waiting on the database. Size memory for workers x (app + threads).
workers = setting("GUNICORN_WORKERS", 2 * len(os.sched_getaffinity(0)) + 1)
worker_class = "gthread"
threads = setting("GUNICORN_THREADS", 4)

# A request running longer than `timeout` gets its process killed and restarted; nginx's
# proxy_read_timeout is longer, so the client sees Gunicorn's error, not nginx's.
timeout = setting("GUNICORN_TIMEOUT", 30)
# On reload or stop, in-flight requests get this long to finish (the unit waits longer).
graceful_timeout = setting("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = setting("GUNICORN_KEEPALIVE", 2)

# Recycle processes now and then, staggered, so a slow leak never takes the site down. Not
# much more often: each new process imports the whole app again (preload_app is off).
max_requests = setting("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = setting("GUNICORN_MAX_REQUESTS_JITTER", 1000)

# Heartbeat files on tmpfs: on a disk, a slow fsync can make a healthy process look hung.
worker_tmp_dir = "/dev/shm"
# Each process imports the app itself, so a reload picks up new code.
preload_app = False
# Gunicorn 25.1+ opens a control socket under $HOME by default; the service has no home to write.
control_socket_disable = True

# Logs to stdout/stderr, which journald collects. The access log carries the time taken (ms) and
# the request id nginx generated, so a line joins up with nginx's log and the app's.
accesslog = "-"
errorlog = "-"
access_log_format = '%({x-real-ip}i)s "%(r)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}i)s "%(a)s"'
