#!/usr/bin/python3
"""A small SAML identity provider built on pysaml2, for the connector tests.

Usage: idp.py CONFIG.json

CONFIG.json:
  entity_id      the IdP's entity ID
  key, cert      PEM files the IdP signs with
  sp_metadata    our SP metadata file (the IdP reads ACS and certificates from it)
  sso_url        the IdP's SSO/SLO location published in its metadata
  mode           "metadata": print the IdP metadata
                 "response": print a base64 SAMLResponse for the SP
  For "response":
  sp_entity_id, destination, in_response_to (null for IdP-initiated),
  name_id, name_id_format, attributes {name: [values]},
  sign_assertion, sign_response, encrypt (bool), sign_alg, digest_alg (URIs),
  lifetime_minutes (assertion validity),
  saml_request (optional): the SAMLRequest query value of our HTTP-Redirect
    AuthnRequest; the IdP parses it and answers it (InResponseTo and
    destination come from the request).
  "parse_request": print the parsed AuthnRequest of saml_request as JSON.
  "logout_request": print the HTTP-Redirect URL of a signed LogoutRequest to
    sp_slo_url for name_id and session_index (none when empty).
  "logout_response": read our LogoutRequest (query values in "query"),
    verify its signature, if any, with our certificate ("sp_cert", base64 DER), and
    print JSON: the request's fields, whether the signature verified, and
    the HTTP-Redirect URL of a signed LogoutResponse.
"""
import base64
import json
import sys

import saml2.entity
import saml2.sigver
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NameID
from saml2.server import Server
from saml2.sigver import verify_redirect_signature
from saml2.xmldsig import SIG_RSA_SHA256


# pysaml2 encrypts assertions with triple-DES and offers no parameter for it;
# use AES-256-CBC, which the service provider accepts and Entra ID uses.
AES256_CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
_pre_encryption_part = saml2.sigver.pre_encryption_part
saml2.entity.pre_encryption_part = lambda **kw: _pre_encryption_part(msg_enc=AES256_CBC, **kw)
_encrypt_assertion = saml2.sigver.SecurityContext.encrypt_assertion


def _encrypt_assertion_aes(self, statement, enc_key, template, key_type="aes-256", node_xpath=None):
    return _encrypt_assertion(self, statement, enc_key, template, key_type="aes-256", node_xpath=node_xpath)


saml2.sigver.SecurityContext.encrypt_assertion = _encrypt_assertion_aes


def build_config(c):
    endpoints = [(c["sso_url"], BINDING_HTTP_REDIRECT), (c["sso_url"], BINDING_HTTP_POST)]
    conf = IdPConfig()
    conf.load({
        "entityid": c["entity_id"],
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "key_file": c["key"],
        "cert_file": c["cert"],
        "metadata": {"local": [c["sp_metadata"]]} if c.get("sp_metadata") else {},
        "service": {
            "idp": {
                "endpoints": {
                    "single_sign_on_service": endpoints,
                    "single_logout_service": [(c["sso_url"], BINDING_HTTP_REDIRECT)],
                },
                "policy": {
                    "default": {
                        "lifetime": {"minutes": c.get("lifetime_minutes", 60)},
                        "attribute_restrictions": None,
                        "name_form": NAME_FORMAT_URI,
                    },
                },
                "name_id_format": [c.get("name_id_format", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")],
            },
        },
    })
    return conf


def parse_request(server, c):
    req = server.parse_authn_request(c["saml_request"], BINDING_HTTP_REDIRECT).message
    return {
        "id": req.id,
        "issuer": req.issuer.text,
        "acs": req.assertion_consumer_service_url,
        "destination": req.destination,
        "protocol_binding": req.protocol_binding,
        "version": req.version,
        "name_id_format": req.name_id_policy.format if req.name_id_policy is not None else None,
    }


def print_request(c):
    server = Server(config=build_config(c))
    sys.stdout.write(json.dumps(parse_request(server, c)))


def response(c):
    server = Server(config=build_config(c))
    if c.get("saml_request"):
        req = parse_request(server, c)
        c["in_response_to"], c["destination"] = req["id"], req["acs"]
    name_id = NameID(format=c.get("name_id_format", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"),
                     text=c["name_id"])
    kwargs = {}
    if c.get("sign_alg"):
        kwargs["sign_alg"] = c["sign_alg"]
    if c.get("digest_alg"):
        kwargs["digest_alg"] = c["digest_alg"]
    if c.get("encrypt"):
        kwargs["encrypt_assertion"] = True
        kwargs["encrypted_advice_attributes"] = False
    resp = server.create_authn_response(
        identity=c.get("attributes", {}),
        in_response_to=c.get("in_response_to"),
        destination=c["destination"],
        sp_entity_id=c["sp_entity_id"],
        name_id=name_id,
        authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
        sign_response=c.get("sign_response", False),
        sign_assertion=c.get("sign_assertion", True),
        **kwargs,
    )
    sys.stdout.write(base64.b64encode(str(resp).encode("utf-8")).decode("ascii"))


def location(http_args):
    return dict(http_args["headers"])["Location"]


def logout_request(c):
    server = Server(config=build_config(c))
    _, req = server.create_logout_request(
        destination=c["sp_slo_url"], issuer_entity_id=c["sp_entity_id"],
        name_id=NameID(format=c.get("name_id_format"), text=c["name_id"]),
        session_indexes=[c["session_index"]] if c.get("session_index") else None, sign=False)
    args = server.apply_binding(BINDING_HTTP_REDIRECT, str(req), c["sp_slo_url"],
                                relay_state=c.get("relay_state", ""), sign=True, sigalg=SIG_RSA_SHA256)
    sys.stdout.write(location(args))


def logout_response(c):
    server = Server(config=build_config(c))
    q = c["query"]
    req = server.parse_logout_request(q["SAMLRequest"], BINDING_HTTP_REDIRECT).message
    signature_ok = "Signature" in q and verify_redirect_signature(q, server.sec.sec_backend, cert=c["sp_cert"])
    resp = server.create_logout_response(req, [BINDING_HTTP_REDIRECT], sign=False)
    args = server.apply_binding(BINDING_HTTP_REDIRECT, str(resp), c["sp_slo_url"],
                                relay_state=q.get("RelayState", ""), response=True, sign=True, sigalg=SIG_RSA_SHA256)
    sys.stdout.write(json.dumps({
        "id": req.id,
        "issuer": req.issuer.text,
        "name_id": req.name_id.text,
        "session_index": [s.text for s in req.session_index],
        "signature_ok": bool(signature_ok),
        "url": location(args),
    }))


def metadata(c):
    sys.stdout.write(str(entity_descriptor(build_config(c))))


def main():
    with open(sys.argv[1]) as f:
        c = json.load(f)
    {
        "metadata": metadata,
        "response": response,
        "parse_request": print_request,
        "logout_request": logout_request,
        "logout_response": logout_response,
    }[c["mode"]](c)


if __name__ == "__main__":
    main()
