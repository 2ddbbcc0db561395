-- SAML providers used to accept sign-ins started at the identity provider
-- (unsolicited responses) unless options.saml_idp_initiated said false.
-- Such a sign-in answers no request, so it cannot be tied to the browser
-- that started it; new providers now refuse them unless the option says
-- true. This writes the old default into every SAML provider that exists
-- and left the option unset, so that none changes behaviour on upgrade.
-- Options that are not a JSON object are left alone: sign-in refuses them
-- anyway, saying so.

-- +goose Up
UPDATE sso_strategies
SET options = json_set(CASE WHEN trim(options) = '' THEN '{}' ELSE options END, '$.saml_idp_initiated', json('true'))
WHERE protocol = 'saml'
  AND (trim(options) = ''
       OR (json_valid(options)
           AND json_type(options) = 'object'
           AND coalesce(json_type(options, '$.saml_idp_initiated'), 'null') = 'null'));

-- +goose Down
-- Nothing to undo: the explicit true means what the old default meant.
SELECT 1;
