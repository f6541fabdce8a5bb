"""Dealer Mall: the backend of a manufacturer's dealer ordering mall inside WeChat.

`create_app` builds the web application (app/web.py does). Importing this package loads nothing
else, so the domain (app.core, app.mall, …) imports without Flask.
"""


def create_app(config=None):
    from app.web import create_app as build

    return build(config)
