"""The web process: REST API, web page and their security (``close serve``)."""
