"""`orgair`: the operations command of the PE Org-AI-R Platform."""
