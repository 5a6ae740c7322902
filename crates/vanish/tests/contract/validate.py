"""Validates an OpenAPI document as OpenAPI 3.1 (openapi-spec-validator); exits 1 if not.

Usage: validate.py URL_OR_FILE
"""
import json
import sys
import urllib.request

from openapi_spec_validator import OpenAPIV31SpecValidator


def main(location: str) -> int:
    if location.startswith(("http://", "https://")):
        with urllib.request.urlopen(location, timeout=30) as response:
            document = json.load(response)
    else:
        with open(location, encoding="utf-8") as file:
            document = json.load(file)
    errors = list(OpenAPIV31SpecValidator(document).iter_errors())
    for error in errors:
        print(f"openapi: {error.message} (at {'/'.join(map(str, error.absolute_path))})")
    if errors:
        return 1
    print(f"openapi: {location} is valid OpenAPI {document.get('openapi')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
