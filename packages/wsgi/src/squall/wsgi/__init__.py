"""squall.wsgi: run squall apps under wsgi/asgi servers, and wsgi/asgi apps under squall."""
