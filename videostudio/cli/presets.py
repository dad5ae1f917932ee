"""``videostudio preset list|save|delete|rename|export|import`` and ``generate --preset``.

list, delete, rename and export need no network; save and import check the settings
against the model catalogue (live, else the saved list) first.
"""

from __future__ import annotations

import argparse

from videostudio.cli.common import Env, models_of
from videostudio.cli.generate import _parse_options, find_model
from videostudio.cli.output import EXIT_OK, CliError, say, table
from videostudio.cli.parser import DEFAULT_MODEL
from videostudio.core.presets import Preset, PresetError
from videostudio.paths import Paths
from videostudio.services.journal import Journal
from videostudio.services.presets import PresetStore


def local(args: argparse.Namespace, journal: Journal, paths: Paths) -> int:
    store = PresetStore(journal)
    try:
        if args.action == "list":
            presets = store.all()
            if not presets:
                say("No presets yet: `videostudio preset save NAME --model ...` makes one.")
                return EXIT_OK
            table(
                [("NAME", "MODEL", "SETTINGS"), *((p.name, p.model, p.describe()) for p in presets)]
            )
        elif args.action == "delete":
            store.delete(args.name)
            say(f"Deleted the preset {args.name!r}.")
        elif args.action == "rename":
            store.rename(args.name, args.new_name)
            say(f"Renamed the preset {args.name!r} to {args.new_name!r}.")
        else:
            count = store.export(args.output, args.names)
            say(f"Exported {count} preset(s) to {args.output}.")
    except PresetError as exc:
        raise CliError(str(exc)) from None
    return EXIT_OK


async def networked(args: argparse.Namespace, env: Env) -> int:
    store = PresetStore(env.journal)
    catalogue = await models_of(env)
    try:
        if args.action == "save":
            if len(args.model) > 1 or len(args.seed) > 1:
                raise CliError("A preset has one model and at most one seed.")
            model = find_model(catalogue, args.model[0] if args.model else DEFAULT_MODEL)
            preset = Preset(
                name=args.name,
                model=model.id,
                duration=args.duration,
                resolution=args.resolution,
                aspect_ratio=args.aspect_ratio,
                size=args.size,
                generate_audio=args.audio,
                seed=args.seed[0] if args.seed else None,
                options=_parse_options(args.option),
                image_roles=tuple(args.image_role),
            )
            checked, notes = preset.checked(model)
            if notes:
                raise CliError("Not saved: " + " ".join(notes))
            saved = store.save(checked)
            say(f"Saved the preset {saved.name!r}: {saved.model}, {saved.describe()}.")
        else:
            imported, skipped = store.import_file(args.file, catalogue)
            for preset, notes in imported:
                left_out = f"; left out: {' '.join(notes)}" if notes else "."
                say(f"Imported {preset.name!r} ({preset.model}){left_out}")
            for why in skipped:
                say(f"Not imported: {why}")
            if not imported:
                raise CliError("No preset could be imported.")
    except PresetError as exc:
        raise CliError(str(exc)) from None
    return EXIT_OK
