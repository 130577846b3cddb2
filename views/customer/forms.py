"""Forms of the customer portal."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import EmailField, PasswordField, SelectMultipleField, StringField, TelField
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import CheckboxInput

from adminapp.validation import phone_example
from models import RoleName

ROLE_LABELS = {
    RoleName.ADMIN: _l("Administrator – manages users and roles"),
    RoleName.ORDERER: _l("Orderer – places orders"),
    RoleName.ATTESTANT: _l("Attestant – attests orders"),
    RoleName.CONTACT: _l("Contact person – reads the agreement, the organisation and its orders"),
}


class _CheckboxList:
    """The options as checkboxes in a list. The first checkbox carries the field's id, so the
    form's label for the field names a control (a label for the list itself is an HTML
    error); each checkbox has its own label too."""

    # Flask-Admin's form template reads `input_type` of a field that has errors.
    input_type = "checkbox"

    def __call__(self, field, **kwargs):
        items = []
        for index, option in enumerate(field):
            control_id = field.id if index == 0 else option.id
            items.append(
                Markup('<li class="form-check">{} {}</li>').format(
                    option(id=control_id, class_="form-check-input"),
                    option.label(for_=control_id, class_="form-check-label"),
                )
            )
        return Markup('<ul class="list-unstyled mb-0">{}</ul>').format(Markup("").join(items))


class RoleCheckboxes(SelectMultipleField):
    widget = _CheckboxList()
    option_widget = CheckboxInput()


def role_choices() -> list[tuple[str, str]]:
    return [(name.value, label) for name, label in ROLE_LABELS.items()]


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    # The example follows the customer's country: the view sets it (`phone_help`).
    phone = TelField(_l("Mobile phone"))
    personal_number = StringField(
        _l("Personal number (for e-ID)"),
        description=_l(
            "Needed to log in, attest or sign with e-ID: a Swedish personal number "
            "(YYYYMMDD-NNNN) or a Norwegian national identity number (11 digits). Stored "
            "safely, shown masked; leave empty to keep the one on file."
        ),
        render_kw={"autocomplete": "off"},
    )
    role_names = RoleCheckboxes(_l("Roles"), choices=role_choices())


class OrdererCreateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=254)],
        description=_l(
            "The orderer gets an email to choose a password. You may use your own email for "
            "an orderer you reach with “Switch to”."
        ),
    )


class OrdererEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    phone = TelField(_l("Mobile phone"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired()], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


def phone_help(form, country) -> None:
    """The phone field's example, as written in the customer's country."""
    form.phone.description = _("For SMS codes, e.g. %(example)s", example=phone_example(country))
