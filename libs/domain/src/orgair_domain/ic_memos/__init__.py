"""Investment-committee memos: a company's scores, trend, intervals and justifications
in one Markdown document, with a model's narrative around the numbers.

The numbers are rendered by code, never by the model; the model writes the summary,
strengths, risks and recommendation from them. A memo job (kind `ic_memo`) drafts it
in the worker; the Markdown goes to S3 and its row keeps the LLM call behind it.
"""
