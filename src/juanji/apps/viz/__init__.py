"""Looking inside networks: layer tables, and (in their own modules) pictures and worked examples.

Import the module you need, e.g. ``from juanji.apps.viz.summary import summary``; this package
imports none of them, so that matplotlib and Pillow load only when a picture is drawn.
"""
