"""The daemonless Dockerfile builder: ``build_image(BuildRequest, layout, runner)``; see builder.py."""
