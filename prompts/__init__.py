"""Prompt and reply templates (Jinja2 `.j2` files with YAML front matter). Shipped inside the
wheel as the package `copilot.prompt_templates`; `copilot/drafting/prompts.py` loads them."""
