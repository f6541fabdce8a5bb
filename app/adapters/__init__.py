"""Thin adapters for the outside systems the app talks to (WeChat's API, file storage, …): each
signs, sends, pages and maps errors into our own types; nothing else. Domain code calls them
through the services; the sandbox (devkit/sandbox) is their test partner over real HTTP."""
