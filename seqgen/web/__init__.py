"""The local web page (python -m seqgen.serve): app.py the routes, models.py
the loaded models, requests.py the input checks, static/ the page."""
