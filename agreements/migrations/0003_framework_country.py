import agreements.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0002_framework_max_cap_increase'),
    ]

    operations = [
        migrations.AddField(
            model_name='frameworkagreement',
            name='country',
            field=models.CharField(default='PE', help_text='ISO 3166-1 alpha-2 code.', max_length=2, validators=[agreements.models.validate_holiday_country], verbose_name='country'),
        ),
    ]
