"""Tiles of the Merkle tree (ledger/tiles.py), and those of the entries already chained."""

from django.db import migrations, models


def backfill(apps, schema_editor):
    # The live modules: entries are read and tiles written as the chain itself does,
    # and neither table changes shape in later migrations of this one.
    from lawtrail.ledger import tiles

    size, step = tiles.tree_size(), tiles.WIDTH**2  # a level-1 tile's leaves at a time
    for start in range(0, size, step):
        tiles.extend(start, min(size, start + step))


def forget(apps, schema_editor):
    pass  # the table goes with the model


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0006_witnesses'),
    ]

    operations = [
        migrations.CreateModel(
            name='Tile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.SmallIntegerField()),
                ('n', models.BigIntegerField()),
                ('width', models.SmallIntegerField()),
                ('hashes', models.BinaryField()),
            ],
            options={
                'db_table': 'ledger_tile',
                'constraints': [models.UniqueConstraint(fields=('level', 'n'), name='ledger_tile_level_n')],
            },
        ),
        migrations.RunPython(backfill, forget),
    ]
