"""Checks infra/modules/quicksight against QuickSight's own API model (botocore's service model, pinned in
toolchain/python/aws.in) and against the generated QuickSight layer.

Input (stdin, JSON): {"hcl": [<hcl2json body of each .tf file of the module>],
                      "analysis": <generated/quicksight/analysis.json>, "dataSets": [<generated/quicksight/datasets/*.json>]}
Output (stdout, JSON), every list sorted:
  unknown     block/attribute names that are not the snake_case of a member of the shape at that place
  kind        a block where the API has a scalar, or an attribute where it has a structure
  misread     a block/attribute that maps a member of the generated JSON but reads another member (or another
              iterator's value) than the one it is named after
  jsonUnknown members of the generated JSON that the API model does not have
  unmapped    member paths present in the generated JSON that no block/attribute of the module maps
  declared*   local.mapped_member_leaves and their prefixes (the plan-time guard of members.tf) against the paths the
              blocks really map; mapMembers (the JSON's map members, by the model) for local.keyed_members
  mapped, jsonMembers, resources, checked: what was walked, for the caller's plausibility checks

Each resource type is walked from its Create<Resource>Request shape; the provider's blocks and attributes are the
snake_case (botocore.xform_name) of the API members, except the provider spellings listed in PROVIDER_NAMES.
Member paths are written in the API's names from the generated file's root ("AnalysisDefinition", "DataSet"), lists
are transparent, the keys of map members are "*" and the "//" header is a comment: AnalysisDefinition.Sheets.Visuals.KPIVisual.VisualId,
DataSet.PhysicalTableMap.*.RelationalTable.Name.
"""

import json
import re
import sys

import botocore.session
from botocore import xform_name

MODEL = botocore.session.get_session().get_service_model("quicksight")

ROOT_SHAPES = {
    "aws_quicksight_analysis": "CreateAnalysisRequest",
    "aws_quicksight_data_set": "CreateDataSetRequest",
    "aws_quicksight_data_source": "CreateDataSourceRequest",
    "aws_quicksight_group": "CreateGroupRequest",
}
# Where a generated file sits in a resource: (type, snake path of the block, "" for the resource body) ->
# (root of its member paths, expression the top-level reads start from).
JSON_ROOTS = {
    ("aws_quicksight_analysis", "definition"): ("AnalysisDefinition", "local.analysis"),
    ("aws_quicksight_data_set", ""): ("DataSet", "each.value.body"),
}
# Terraform's own arguments and blocks of a resource body (not API members).
TERRAFORM_KEYS = {"count", "depends_on", "for_each", "lifecycle", "provider", "tags", "timeouts"}
# Provider names that are not the snake_case of the API member (hashicorp/aws v5).
PROVIDER_NAMES = {
    ("aws_quicksight_analysis", "definition.data_set_identifiers_declarations"): "DataSetIdentifierDeclarations",
    ("aws_quicksight_data_source", "parameters"): "DataSourceParameters",
    ("aws_quicksight_data_source", "parameters.snowflake"): "SnowflakeParameters",
    ("aws_quicksight_data_source", "permission"): "Permissions",
}
# The provider turns a map member into repeated blocks, the key into this attribute.
MAP_KEY_ATTRIBUTES = {
    ("aws_quicksight_data_set", "physical_table_map.physical_table_map_id"),
    ("aws_quicksight_data_set", "logical_table_map.logical_table_map_id"),
}
# The provider lifted a nested member to the resource: (shape, member) it stands for.
# (aws_quicksight_refresh_schedule's schedule_id was one; the module has no refresh schedule any more.)
LIFTED: dict = {}

# The generator's header line in every JSON file ("//" is a comment by convention, as in Terraform's JSON syntax).
COMMENT_KEY = "//"
# A lowercase dotted base followed by PascalCase member accesses: `field.value.Column.ColumnName`.
READ = re.compile(r"(?<![\w.])([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)((?:\.[A-Z][A-Za-z0-9]*)+)")
# An index `x[...]` (not a tuple `([...])`): what it looks up is not what the expression reads.
INDEX = re.compile(r"(?<=[\w\])])\[[^\[\]]*\]")


class Walk:
    def __init__(self):
        self.unknown, self.kind, self.misread = [], [], []
        self.mapped = set()
        self.checked = {"blocks": 0, "attributes": 0}
        self.resources = []

    def member_of(self, shape, name):
        for member in shape.members:
            if xform_name(member) == name:
                return member
        return None

    @staticmethod
    def reads(expression):
        if not isinstance(expression, str):
            return []
        text = expression
        while True:
            stripped = INDEX.sub("", text)
            if stripped == text:
                break
            text = stripped
        return [(m.group(1), m.group(2)[1:].split(".")) for m in READ.finditer(text)]

    @staticmethod
    def element_shape(shape):
        """The shape a block of this member describes, or None for a scalar (an attribute)."""
        if shape.type_name == "structure":
            return shape
        if shape.type_name == "list" and shape.member.type_name == "structure":
            return shape.member
        if shape.type_name == "map" and shape.value.type_name == "structure":
            return shape.value
        return None

    def check_read(self, where, expression, context, member_chain):
        """In a generated-JSON context, an expression that reads JSON must read exactly `member_chain` from the base."""
        reads = self.reads(expression)
        if context is None or not reads:
            return False
        expected = (context["base"], member_chain)
        wrong = [f"{base}.{'.'.join(chain)}" for base, chain in reads if (base, chain) != expected]
        if wrong:
            self.misread.append(f"{where}: reads {', '.join(wrong)}, expected {expected[0]}.{'.'.join(expected[1])}")
            return False
        return True

    def body(self, rtype, address, body, shape, snake_path, context):
        for key in sorted(body):
            value = body[key]
            if key == "dynamic":
                for name in sorted(value):
                    for block in value[name]:
                        self.element(rtype, address, name, block, shape, snake_path, context, dynamic=True)
            elif snake_path == "" and key in TERRAFORM_KEYS:
                continue
            else:
                self.element(rtype, address, key, value, shape, snake_path, context, dynamic=False)

    def element(self, rtype, address, name, value, shape, snake_path, context, dynamic):
        full = f"{snake_path}.{name}" if snake_path else name
        where = f"{address}.{full}"
        if (rtype, full) in MAP_KEY_ATTRIBUTES:
            self.checked["attributes"] += 1
            if context is not None and value != "${" + context["iterator"] + ".key}":
                self.misread.append(f"{where}: must be the map key, ${{{context['iterator']}.key}} (got {value})")
            return
        if (rtype, full) in LIFTED:
            self.checked["attributes"] += 1
            shape_name, member = LIFTED[(rtype, full)]
            if member not in MODEL.shape_for(shape_name).members:
                self.unknown.append(f"{where}: {shape_name} has no member {member}")
            return
        member = PROVIDER_NAMES.get((rtype, full)) or self.member_of(shape, name)
        if member is None or member not in shape.members:
            self.unknown.append(f"{where}: {shape.name} has no member whose snake_case is {name}")
            return
        member_shape = shape.members[member]
        target = self.element_shape(member_shape)
        is_block = dynamic or (isinstance(value, list) and len(value) > 0 and all(isinstance(v, dict) for v in value))
        if is_block != (target is not None):
            expected = "a block" if target is not None else "an attribute"
            self.kind.append(f"{where}: {shape.name}.{member} ({member_shape.type_name}) must be {expected}")
            return

        if (rtype, full) in JSON_ROOTS:
            root, base = JSON_ROOTS[(rtype, full)]
            inner = {"root": root, "path": [], "chain": [], "base": base, "iterator": None}
            for block in value:
                self.checked["blocks"] += 1
                self.body(rtype, address, block, target, full, inner)
            return

        if target is None:
            self.checked["attributes"] += 1
            if context is not None and self.check_read(where, value, context, context["chain"] + [member]):
                self.mapped.add(".".join([context["root"], *context["path"], member]))
            return

        is_map = member_shape.type_name == "map"
        blocks = [value] if dynamic else value
        for block in blocks:
            self.checked["blocks"] += 1
            if dynamic:
                iterator = str(block.get("iterator", name)).removeprefix("${").removesuffix("}")
                content = (block.get("content") or [{}])[0]
                inner = None
                if context is not None:
                    if self.check_read(where, block.get("for_each"), context, context["chain"] + [member]):
                        self.mapped.add(".".join([context["root"], *context["path"], member]))
                    path = context["path"] + [member] + (["*"] if is_map else [])
                    inner = {
                        "root": context["root"],
                        "path": path,
                        "chain": [],
                        "base": f"{iterator}.value",
                        "iterator": iterator,
                    }
                self.body(rtype, address, content, target, full, inner)
            else:
                inner = None
                if context is not None:
                    if is_map:
                        self.kind.append(
                            f"{where}: the map {shape.name}.{member} needs a dynamic block over its entries"
                        )
                        continue
                    inner = dict(context, path=context["path"] + [member], chain=context["chain"] + [member])
                self.body(rtype, address, block, target, full, inner)

    def resource(self, rtype, name, body):
        self.resources.append(f"{rtype}.{name}")
        shape = MODEL.shape_for(ROOT_SHAPES[rtype])
        context = None
        if (rtype, "") in JSON_ROOTS:
            root, base = JSON_ROOTS[(rtype, "")]
            context = {"root": root, "path": [], "chain": [], "base": base, "iterator": None}
        self.body(rtype, f"{rtype}.{name}", body, shape, "", context)


def json_members(value, shape, path, out, unknown, maps):
    """Member paths of a generated file, checked against the API model on the way."""
    if isinstance(value, list):
        for item in value:
            json_members(
                item,
                shape.member if shape is not None and shape.type_name == "list" else shape,
                path,
                out,
                unknown,
                maps,
            )
        return
    if not isinstance(value, dict):
        return
    if shape is not None and shape.type_name == "map":
        maps.add(path)
        for item in value.values():
            out.add(f"{path}.*")
            json_members(item, shape.value, f"{path}.*", out, unknown, maps)
        return
    for key, item in value.items():
        if key == COMMENT_KEY:
            continue
        out.add(f"{path}.{key}")
        member_shape = shape.members.get(key) if shape is not None and shape.type_name == "structure" else None
        if shape is not None and member_shape is None:
            # Reported once, where it starts; its own members are still collected (as not mapped).
            unknown.append(f"{path}.{key}: not a member of {shape.name}")
        json_members(item, member_shape, f"{path}.{key}", out, unknown, maps)


def with_prefixes(paths):
    out = set()
    for path in paths:
        parts = path.split(".")
        for end in range(2, len(parts) + 1):
            out.add(".".join(parts[:end]))
    return out


def main():
    given = json.load(sys.stdin)
    walk = Walk()
    declared, keyed = None, None
    for body in given["hcl"]:
        for rtype, named in sorted((body.get("resource") or {}).items()):
            if rtype not in ROOT_SHAPES:
                continue
            for name, blocks in sorted(named.items()):
                for block in blocks:
                    walk.resource(rtype, name, block)
        for block in body.get("locals") or []:
            if "mapped_member_leaves" in block:
                declared = with_prefixes(block["mapped_member_leaves"])
            if "keyed_members" in block:
                keyed = block["keyed_members"]

    members, json_unknown, maps = set(), [], set()
    json_members(
        given["analysis"], MODEL.shape_for("AnalysisDefinition"), "AnalysisDefinition", members, json_unknown, maps
    )
    for data_set in given["dataSets"]:
        json_members(data_set, MODEL.shape_for("CreateDataSetRequest"), "DataSet", members, json_unknown, maps)

    mapped = with_prefixes(walk.mapped)
    result = {
        "resources": sorted(walk.resources),
        "checked": walk.checked,
        "unknown": sorted(walk.unknown),
        "kind": sorted(walk.kind),
        "misread": sorted(walk.misread),
        "jsonUnknown": sorted(set(json_unknown)),
        "jsonMembers": sorted(members),
        "mapped": sorted(mapped),
        "unmapped": sorted(members - mapped),
        "mapMembers": sorted(maps),
        "keyed": keyed if keyed is None else sorted(keyed),
        "declared": declared if declared is None else sorted(declared),
        "declaredNotMapped": [] if declared is None else sorted(set(declared) - mapped),
        "mappedNotDeclared": [] if declared is None else sorted(mapped - set(declared)),
    }
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
