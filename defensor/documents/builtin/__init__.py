"""The built-in court-document templates: ``templates.yaml`` lists them, ``make_templates.py``
writes their DOCX files."""
