DROP TABLE IF EXISTS org_template_settings, template_versions, templates;
