"""Page handlers: thin, one store call or two, a typed context, a template."""
