-- SAML providers used to accept sign-ins started at the identity provider
-- (unsolicited responses) unless options.saml_idp_initiated said false.
-- Such a sign-in answers no request, so it cannot be tied to the browser
-- that started it; new providers now refuse them unless the option says
-- true. This writes the old default into every SAML provider that exists
-- and left the option unset, so that none changes behaviour on upgrade.
-- Options that are not a JSON object are left alone: sign-in refuses them
-- anyway, saying so.

-- +goose Up
-- +goose StatementBegin
DO $$
DECLARE
    r RECORD;
    o jsonb;
BEGIN
    FOR r IN SELECT id, options FROM sso_strategies WHERE protocol = 'saml' LOOP
        BEGIN
            o := CASE WHEN btrim(r.options) = '' THEN '{}'::jsonb ELSE r.options::jsonb END;
        EXCEPTION WHEN others THEN
            CONTINUE;
        END;
        IF jsonb_typeof(o) = 'object' AND coalesce(jsonb_typeof(o -> 'saml_idp_initiated'), 'null') = 'null' THEN
            UPDATE sso_strategies SET options = (o || '{"saml_idp_initiated": true}'::jsonb)::text WHERE id = r.id;
        END IF;
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- Nothing to undo: the explicit true means what the old default meant.
SELECT 1;
