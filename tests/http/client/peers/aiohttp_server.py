# A Python aiohttp server for the client tests: pages, echo, cookies,
# multipart, streaming, redirects, compression, slow replies.
# Usage: aiohttp_server.py PORT
import asyncio
import gzip
import hashlib
import json
import sys
import zlib

import brotli
from aiohttp import web

PAGES = {
    "www.example.com": "<!doctype html>\n<html><head><title>Example Domain — ünïcødé</title></head></html>\n",
    "www.python.org": "<!doctype html>\n<!--[if lt IE 7]> <html class=\"no-js\"> <![endif]-->\n",
}

routes = web.RouteTableDef()


@routes.get("/www.github.com")
async def missing(request):
    raise web.HTTPNotFound()


@routes.get("/www.{name}")
async def page(request):
    text = PAGES.get("www." + request.match_info["name"])
    if text is None:
        raise web.HTTPNotFound()
    return web.Response(text=text, content_type="text/html")


@routes.get("/1k")
async def one_k(request):
    return web.Response(body=b"x" * 1024)


@routes.get("/peer-port")
async def peer_port(request):
    # The client's port: which of its connections carried the request.
    return web.Response(text=str(request.transport.get_extra_info("peername")[1]))


@routes.route("*", "/echo")
async def echo(request):
    body = await request.read()
    return web.json_response({
        "method": request.method,
        "path": request.path,
        "query": [[k, v] for k, v in request.query.items()],
        "headers": {k: v for k, v in request.headers.items()},
        "body": body.decode("utf-8", "replace"),
        "chunked": request.headers.get("Transfer-Encoding", "") == "chunked",
    })


@routes.post("/expect")
async def expect(request):
    body = await request.read()
    return web.json_response({"size": len(body)})


@routes.get("/status/{code}")
async def status(request):
    return web.Response(status=int(request.match_info["code"]), text="status")


@routes.get("/flaky/{key}/{fails}")
async def flaky(request):
    # Answers 503 `fails` times for a key, then 200.
    app = request.app
    n = app["flaky"].get(request.match_info["key"], 0)
    app["flaky"][request.match_info["key"]] = n + 1
    if n < int(request.match_info["fails"]):
        return web.Response(status=503, text="busy")
    return web.Response(text="ok after %d" % n)


@routes.get("/set-cookie")
async def set_cookie(request):
    resp = web.Response(text="set")
    resp.set_cookie("plain", "1")
    resp.set_cookie("scoped", "2", path="/cookies/sub")
    resp.set_cookie("gone", "3", max_age=0)
    resp.set_cookie("sec", "4", secure=True)
    resp.set_cookie("dom", "5", domain="localhost")
    return resp


@routes.get("/cookies{tail:.*}")
async def cookies(request):
    return web.Response(text=request.headers.get("Cookie", ""))


@routes.post("/multipart")
async def multipart(request):
    reader = await request.multipart()
    parts = []
    while True:
        part = await reader.next()
        if part is None:
            break
        data = await part.read(decode=False)
        parts.append({"name": part.name, "filename": part.filename, "size": len(data),
                      "sha256": hashlib.sha256(data).hexdigest(),
                      "content_type": part.headers.get("Content-Type", "")})
    return web.json_response(parts)


@routes.post("/form")
async def form(request):
    data = await request.post()
    return web.json_response({k: v for k, v in data.items()})


@routes.get("/stream/{n}")
async def stream(request):
    resp = web.StreamResponse()
    resp.content_type = "text/plain"
    await resp.prepare(request)
    for i in range(int(request.match_info["n"])):
        await resp.write(b"line %d\n" % i)
        await asyncio.sleep(0.005)
    await resp.write_eof()
    return resp


@routes.get("/ndjson/{mib}/{line}")
async def ndjson(request):
    # `mib` MiB of newline-delimited JSON in lines of `line` bytes, made as
    # they are sent (chunked): a body far larger than what a reader may hold.
    total = int(request.match_info["mib"]) * 1024 * 1024
    size = int(request.match_info["line"])
    record = b'{"n":' + b"7" * (size - 7) + b"}\n"
    block = record * ((1024 * 1024) // size)
    resp = web.StreamResponse()
    resp.content_type = "application/x-ndjson"
    await resp.prepare(request)
    sent = 0
    while sent + len(block) <= total:
        await resp.write(block)
        sent += len(block)
    await resp.write(record * ((total - sent) // size))
    await resp.write_eof()
    return resp


@routes.get("/slow/{ms}")
async def slow(request):
    await asyncio.sleep(int(request.match_info["ms"]) / 1000)
    return web.Response(text="slow")


@routes.get("/slow-body/{ms}")
async def slow_body(request):
    resp = web.StreamResponse()
    await resp.prepare(request)
    await resp.write(b"first")
    await asyncio.sleep(int(request.match_info["ms"]) / 1000)
    await resp.write(b"second")
    return resp


@routes.route("*", "/redirect/{n}")
async def redirect(request):
    n = int(request.match_info["n"])
    if n <= 0:
        return web.json_response({"method": request.method, "auth": request.headers.get("Authorization", ""),
                                  "body": (await request.read()).decode()})
    raise web.HTTPFound("/redirect/%d" % (n - 1))


@routes.route("*", "/redirect-status/{code}")
async def redirect_status(request):
    code = int(request.match_info["code"])
    resp = web.Response(status=code, headers={"Location": "/redirect/0"})
    return resp


@routes.get("/redirect-to")
async def redirect_to(request):
    raise web.HTTPFound(request.query["url"])


@routes.get("/redirect-loop")
async def redirect_loop(request):
    raise web.HTTPFound("/redirect-loop")


@routes.get("/auth")
async def auth(request):
    return web.Response(text=request.headers.get("Authorization", ""))


@routes.get("/encoded/{coding}")
async def encoded(request):
    coding = request.match_info["coding"]
    body = ("encoded body " * 1000).encode()
    data = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[coding](body)
    return web.Response(body=data, headers={"Content-Encoding": coding, "Content-Type": "text/plain"})


@routes.get("/bomb")
async def bomb(request):
    return web.Response(body=gzip.compress(b"\0" * (64 * 1024 * 1024)), headers={"Content-Encoding": "gzip"})


@routes.get("/latin1")
async def latin1(request):
    return web.Response(body="café naïve".encode("latin-1"), headers={"Content-Type": "text/plain; charset=iso-8859-1"})


@routes.get("/json")
async def json_(request):
    return web.json_response({"name": "Zoë", "list": [1, 2.5, None, True]})


@routes.get("/big/{n}")
async def big(request):
    return web.Response(body=b"b" * int(request.match_info["n"]))


def pattern_bytes(n):
    # Byte i is i % 251: a byte lost, doubled or out of order shows.
    return (bytes(range(251)) * (n // 251 + 1))[:n]


@routes.get("/pattern/{n}")
async def pattern(request):
    body = pattern_bytes(int(request.match_info["n"]))
    if request.query.get("chunked") is None:
        return web.Response(body=body)
    resp = web.StreamResponse()
    await resp.prepare(request)
    for at in range(0, len(body), 100_000):
        await resp.write(body[at:at + 100_000])
    await resp.write_eof()
    return resp


app = web.Application()
app["flaky"] = {}
app.add_routes(routes)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
