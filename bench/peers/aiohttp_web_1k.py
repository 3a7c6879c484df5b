"""R7 peer: Python aiohttp.web serving GET /1k (1,024 bytes). Usage: aiohttp_web_1k.py PORT"""
import sys

from aiohttp import web

BODY = b"x" * 1024


async def one_k(request):
    return web.Response(body=BODY, content_type="text/plain")


app = web.Application()
app.router.add_get("/1k", one_k)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
