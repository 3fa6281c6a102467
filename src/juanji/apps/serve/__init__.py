"""``juanji serve``: a local page to watch a CNN think, on the standard library's HTTP server.

* ``server``: ``App`` (what the page talks to) and ``make_server`` (a ``ThreadingHTTPServer``
  bound to 127.0.0.1 unless told otherwise), the routes of the JSON API and the page's files.
* ``model``: the run to serve (``find_run``) and ``ServedModel``: prediction, every conv and
  pool layer's maps, receptive fields, saliency, what ``zero_grad`` clears, one unit's kernel
  and patch.
* ``playground``: the convolution playground's numbers (``F.pad``, ``F.conv2d``, ``F.unfold``
  and the GEMM, pooling, the output-size rule).
* ``trainer``: a short LeNet training in a background thread, watched by polling.
* ``static/``: the page (plain HTML, CSS and JavaScript: no build step, nothing fetched from
  the network).

Every number the page shows is computed here by juanji; the browser only draws.
"""

from juanji.apps.serve.server import App, make_server

__all__ = ["App", "make_server"]
