"Packaging for bg_tasks_demo, read from settings.ini (nbdev 2 layout, without pkg_resources)."
from configparser import ConfigParser
import setuptools, shlex

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']
reqs = shlex.split(cfg.get('requirements', ''))
dev_reqs = shlex.split(cfg.get('dev_requirements', ''))
# extras: every `NAME_requirements` of settings.ini but the build's is `pip install bg_tasks_demo[NAME]`; `all` is the engines'
extras = {k[:-len('_requirements')]: shlex.split(v) for k, v in cfg.items()
          if k.endswith('_requirements') and k not in ('dev_requirements', 'build_requirements', 'bench_requirements')}
extras['all'] = sorted({r for v in extras.values() for r in v})
extras['dev'] = dev_reqs
extras['bench'] = shlex.split(cfg.get('bench_requirements', ''))   # the peers `make bench` measures
scripts = [s.strip() for s in cfg.get('console_scripts', '').split('\n') if s.strip()]

setuptools.setup(
    name=cfg['lib_name'], version=cfg['version'], description=cfg['description'],
    license='Apache Software License 2.0', author=cfg['author'], author_email=cfg['author_email'],
    url=cfg['git_url'], packages=setuptools.find_packages(include=[cfg['lib_name'], cfg['lib_name']+'.*']),
    include_package_data=True, install_requires=reqs, extras_require=extras,
    python_requires='>=' + cfg['min_python'], long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown', zip_safe=False,
    keywords=cfg.get('keywords', '').split(), project_urls={'Source': cfg['git_url']},
    classifiers=['Programming Language :: Python :: 3', 'License :: OSI Approved :: Apache Software License'],
    entry_points={'console_scripts': scripts, 'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
)
