"""The platform's domain, shared by the scoring API and the worker.

Tables (`orgair_domain.models` registers them all), repositories, the use cases
(`<package>.service`), their input and output types (`<package>.schemas`), the review
gate, and the job protocol between scoring and the worker (task names, Celery
configuration, job states and transitions, progress events). No web framework: a use
case refuses with an `orgair_domain.errors` exception, which each caller translates
(the scoring API into problem details).
"""
