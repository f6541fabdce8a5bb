"""Limits counted by one guarded write each, so racing requests cannot pass them together: failed
passwords per staff account (claimed before the password is checked), and invitation SMS per
phone number (E.164) per business day. Written by hand."""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("staff", "failed_logins", IntegerField(default=0)))

    class SmsQuota(Model):
        phone = CharField(max_length=20)
        day = DateField()
        sent = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "sms_quota"
            indexes = ((("phone", "day"), True),)

    db.create_tables([SmsQuota])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("sms_quota"))
    migrator.migrate(migrator.drop_column("staff", "failed_logins"))
