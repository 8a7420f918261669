"""Meta-tests over the command tree, as python-discord does."""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.client import ReviewBot
from bot.config import load_settings
from bot.errors import PermissionDenied
from bot.permissions import PRIVILEGED, REFUSALS, Level, level_of
from bot.services.impressions import Actor
from tests.fakediscord import FakeDiscord, Member
from tests.harness import fingerprint

pytestmark = pytest.mark.both_backends


def _walk(
    commands: list[app_commands.Command | app_commands.Group],
) -> list[app_commands.Command | app_commands.Group]:
    found: list[app_commands.Command | app_commands.Group] = []
    for command in commands:
        found.append(command)
        if isinstance(command, app_commands.Group):
            found += _walk(list(command.commands))
    return found


async def test_every_command_is_described_and_names_never_clash(bot: ReviewBot) -> None:
    top_level = bot.tree.get_commands(type=discord.AppCommandType.chat_input)
    names = [command.name for command in top_level]
    assert len(names) == len(set(names))
    for command in _walk(top_level):  # type: ignore[arg-type]
        assert command.description and command.description != "…", command.qualified_name
        if isinstance(command, app_commands.Command):
            for parameter in command.parameters:
                assert parameter.description and parameter.description != "…", (
                    f"/{command.qualified_name} {parameter.name} has no description"
                )


# -- every command, button and form declares who may use it ---------------------------------------------


def undeclared(bot: ReviewBot) -> list[str]:
    """Everything a member can trigger that declares no level (then it never runs)."""
    missing = [
        f"/{command.qualified_name}"
        for command in bot.tree.walk_commands()
        if isinstance(command, app_commands.Command) and level_of(command) is None
    ]
    for kind in (discord.AppCommandType.message, discord.AppCommandType.user):
        missing += [f"menu {menu.name}" for menu in bot.tree.get_commands(type=kind) if level_of(menu) is None]  # type: ignore[arg-type]
    missing += [
        f"button {item.__name__}"
        for item in bot.persistent_items
        if not isinstance(getattr(item, "level", None), Level)
    ]
    missing += [f"form {route.pattern.pattern}" for route in bot.form_routes if not isinstance(route.level, Level)]
    return missing


def forged_id(template: str) -> str:
    """A custom_id its template accepts: "" for an optional flag or part, "1" for an id."""
    optional_part = r"\(\?:[^()]*(?:\([^()]*\)[^()]*)*\)\?"  # (?:…)? holding groups of its own
    forged = re.sub(
        r"\(\?P<(\w+)>[^()]*\)", lambda m: "" if m[1] == "edit" else "1", re.sub(optional_part, "", template)
    )
    assert re.fullmatch(template, forged), (template, forged)
    return forged


def sample_options(schema: list[dict[str, Any]], member: Member, fake: FakeDiscord) -> dict[str, Any]:
    """A value for every required option, so only the level check can stop the command."""
    values: dict[str, Any] = {}
    for option in schema:
        if not option.get("required"):
            continue
        kind = option["type"]
        if option.get("choices"):
            values[option["name"]] = option["choices"][0]["value"]
        elif kind == 3:
            values[option["name"]] = "1"
        elif kind in (4, 10):
            values[option["name"]] = max(1, option.get("min_value", 1))
        elif kind == 5:
            values[option["name"]] = True
        elif kind in (6, 9):
            values[option["name"]] = member
        elif kind == 7:
            values[option["name"]] = {"id": str(member.guild.text_channel_id), "type": 0, "name": "general"}
        elif kind == 8:
            values[option["name"]] = member.guild.roles[0]
    return values


def leaf_paths(fake: FakeDiscord, member: Member) -> dict[str, list[dict[str, Any]]]:
    """ "mod hide" → its options' schema, for every synced slash (sub)command."""
    paths: dict[str, list[dict[str, Any]]] = {}
    for command in fake.commands_for(member.guild.id):
        if command.get("type", 1) != 1:
            continue
        subs = [o for o in command.get("options") or [] if o["type"] == 1]
        if not subs:
            paths[command["name"]] = command.get("options") or []
        for sub in subs:
            paths[f"{command['name']} {sub['name']}"] = sub.get("options") or []
    return paths


async def test_everything_declares_a_level_and_a_plain_member_is_refused_every_privileged_one(
    bot: ReviewBot, fake: FakeDiscord, alice: Member
) -> None:
    assert undeclared(bot) == []
    before = fingerprint(bot.settings.database)
    refused: list[str] = []
    schemas = leaf_paths(fake, alice)
    for command in bot.tree.walk_commands():
        level = level_of(command) if isinstance(command, app_commands.Command) else None
        if level not in PRIVILEGED:
            continue
        reply = await alice.slash(
            command.qualified_name, **sample_options(schemas[command.qualified_name], alice, fake)
        )
        assert reply.ephemeral and REFUSALS[level] in reply.text, (command.qualified_name, reply.text)  # type: ignore[index]
        refused.append(f"/{command.qualified_name}")
    message = (await alice.slash("about")).message
    for item in bot.persistent_items:
        if item.level in PRIVILEGED:
            button = {
                "type": 2,
                "style": 1,
                "label": item.__name__,
                "custom_id": forged_id(item.__discord_ui_compiled_template__.pattern),
            }
            reply = await alice.press({**message, "components": [{"type": 1, "components": [button]}]},
                                      {"custom_id": button["custom_id"], "component_type": 2})  # fmt: skip
            assert reply.ephemeral and REFUSALS[item.level] in reply.text, item.__name__
            refused.append(f"button {item.__name__}")
    for route in bot.form_routes:
        if route.level in PRIVILEGED:
            data = {"custom_id": forged_id(route.pattern.pattern), "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": "text", "value": "A reason."}]}]}  # fmt: skip
            reply = await alice.send(alice._interaction(5, data))
            assert reply.ephemeral and REFUSALS[route.level] in reply.text, route.pattern.pattern
            refused.append(f"form {route.pattern.pattern}")
    assert fingerprint(bot.settings.database) == before, "a refused member changed the database"
    # The /mod group alone has 14 subcommands; all of them, /mod queue and /mod export included, are here.
    assert {"/mod queue", "/mod export", "/admin sync", "/series merge", "button RejectButton"} <= set(refused)


# Who each is meant for, written out apart from the declarations they hold: the walk above reads the
# declared level, so a command declared for members by mistake would leave the walk and pass it (a
# service's own check then refuses it, in the same sentence for curators). A new command counts as a
# members' one unless named here; a new button or form must be added below.
CURATORS_COMMANDS = {"series add", "series edit", "series merge"}
AUTHORS_COMMANDS = {"impression edit", "impression delete"}  # anyone starts them; the service checks the author
BUTTONS_MEANT = {
    "ApproveButton": Level.MODERATOR, "RejectButton": Level.MODERATOR, "DismissReport": Level.MODERATOR,
    "HideReported": Level.MODERATOR, "EditInsteadButton": Level.AUTHOR, "SeriesChartButton": Level.MEMBER,
    "MemberChartButton": Level.MEMBER, "EpisodePostButton": Level.MEMBER, "PagerButton": Level.MEMBER,
    "SeriesImpressionsButton": Level.MEMBER, "SeriesPostButton": Level.MEMBER, "SeriesPick": Level.MEMBER,
}  # fmt: skip
FORMS_MEANT = {
    "reject_form": Level.MODERATOR, "curation_form": Level.CURATOR, "edit_form": Level.AUTHOR,
    "post_form": Level.MEMBER, "quick_form": Level.MEMBER, "report_form": Level.MEMBER,
}  # fmt: skip


def level_meant(path: str) -> Level:
    group = path.split()[0]
    if group == "admin":
        return Level.OWNER
    if group in ("mod", "watch"):
        return Level.MODERATOR
    if path in CURATORS_COMMANDS:
        return Level.CURATOR
    return Level.AUTHOR if path in AUTHORS_COMMANDS else Level.MEMBER


async def test_every_command_button_and_form_declares_the_level_it_is_meant_for(bot: ReviewBot) -> None:
    declared = {
        command.qualified_name: level_of(command)
        for command in bot.tree.walk_commands()
        if isinstance(command, app_commands.Command)
    }
    assert declared == {path: level_meant(path) for path in declared}
    [menu] = bot.tree.get_commands(type=discord.AppCommandType.message)
    assert level_of(menu) is Level.MEMBER  # type: ignore[arg-type]
    assert {item.__name__: getattr(item, "level", None) for item in bot.persistent_items} == BUTTONS_MEANT
    assert {route.handler.__name__: route.level for route in bot.form_routes} == FORMS_MEANT


async def test_every_moderator_and_curator_service_refuses_a_plain_member_before_reading_anything(
    bot: ReviewBot, alice: Member
) -> None:
    """The second line: each service method that acts for someone (the actor its first argument) checks
    them itself, whatever else it is given, in the first line's sentence; reporting is for every member."""
    plain = Actor(int(alice.user["id"]), "alice", is_moderator=False, guild_id=alice.guild.id)
    tried = []
    for service in (bot.services.moderation, bot.services.watches, bot.services.curation):
        for name, method in inspect.getmembers(service, inspect.iscoroutinefunction):
            parameters = list(inspect.signature(method).parameters)
            if name.startswith("_") or name == "report" or parameters[:1] != ["actor"]:
                continue
            trips = bot.store.db.round_trips
            with pytest.raises(PermissionDenied) as refused:
                await method(plain, *[None] * (len(parameters) - 1))
            assert str(refused.value) in REFUSALS.values(), (name, str(refused.value))
            assert bot.store.db.round_trips == trips, f"{name} read before it refused"
            tried.append(name)
    assert len(tried) >= 20, tried  # the walk still finds them (moderation 14, watches 4, curation 4)


async def test_the_meta_test_catches_a_command_without_a_level(tmp_path: Path) -> None:
    package = tmp_path / "throwaway_cogs"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "careless.py").write_text(
        "import discord\nfrom discord import app_commands\nfrom discord.ext import commands\n\n\n"
        "class Careless(commands.Cog):\n"
        "    @app_commands.command(name='wipe', description='Forgot to say who may.')\n"
        "    async def wipe(self, interaction: discord.Interaction) -> None:\n"
        "        await interaction.response.send_message('wiped')\n\n\n"
        "async def setup(bot: commands.Bot) -> None:\n    await bot.add_cog(Careless())\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        throwaway = ReviewBot(
            load_settings({"DISCORD_TOKEN": "t", "DATABASE_PATH": str(tmp_path / "db")}, env_file=None)
        )
        await throwaway.load_extension("throwaway_cogs.careless")
        assert undeclared(throwaway) == ["/wipe"]
    finally:
        sys.path.remove(str(tmp_path))
