//! YAML templates with CloudFormation short-form tags, read into the long JSON form.
