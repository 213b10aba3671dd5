"""Work past one machine: builds and OCR as Celery tasks over Redis (``--queue``, ``paperwork worker``).

:mod:`~paperwork.dispatch.broker` holds the queue's address and settings,
:mod:`~paperwork.dispatch.tasks` what a worker does, :mod:`~paperwork.dispatch.client`
what a sender does. Above the binder and intake, below the CLI and the server.
"""
