"""The interactive docs officers work in: Swagger UI, ReDoc and their OpenAPI text."""
