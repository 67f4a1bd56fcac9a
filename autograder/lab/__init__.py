"""The JupyterLab side: configuration per role, Validate, and what students wrote rendered safely."""
